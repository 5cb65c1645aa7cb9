//! Shops and the chats that hear about their orders. An owner link carries a random token; it
//! subscribes one chat, then stops working, and expires after `SHOP_LINK_TTL_SECONDS`. A shop
//! may have several. (The rows: [`crate::store::sql::shops`].)

use std::time::Duration;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

pub use crate::store::sql::shops::ChatInfo;
pub(crate) use crate::store::sql::shops::{NewLink, ShopChatRecord, ShopRecord, Subscription};
use crate::{
    domain::ChatId,
    error::{Error, Result},
    store::sql::shops as rows,
    telegram::TelegramClient,
};

/// The prefix of a deep-link payload: `t.me/<bot>?start=shop_<token>`.
pub(crate) const DEEP_LINK_PREFIX: &str = "shop_";

/// Accepts `shop_<token>` as well as the bare token.
pub(crate) fn token_from_payload(payload: &str) -> &str {
    let payload = payload.trim();
    payload.strip_prefix(DEEP_LINK_PREFIX).unwrap_or(payload)
}

/// The link that subscribes an owner's private chat.
pub(crate) fn owner_link(bot_username: &str, token: &str) -> String {
    format!("https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{token}")
}

/// Shops, their owner links and their chats. Owns its handles: the database, the Telegram
/// client (for the bot's username in owner links) and how long an owner link lives.
#[derive(Clone)]
pub(crate) struct Shops {
    db: DatabaseConnection,
    telegram: TelegramClient,
    link_ttl: Duration,
}

impl Shops {
    pub(crate) fn new(
        db: DatabaseConnection,
        telegram: TelegramClient,
        link_ttl: Duration,
    ) -> Self {
        Self {
            db,
            telegram,
            link_ttl,
        }
    }

    /// The bot's deep link for an owner link's `token`, with the bot's username asked of
    /// Telegram.
    pub(crate) async fn owner_deep_link(&self, token: &str) -> Result<String> {
        let username = self.telegram.bot_username().await?;
        Ok(owner_link(&username, token))
    }

    /// A new shop and its first owner link.
    pub(crate) async fn create(&self, name: &str) -> Result<(ShopRecord, NewLink)> {
        rows::create(&self.db, name, self.link_ttl).await
    }

    /// The shop and its chats, oldest first; `ShopNotFound`.
    pub(crate) async fn with_chats(&self, id: Uuid) -> Result<(ShopRecord, Vec<ShopChatRecord>)> {
        let shop = rows::find(&self.db, id).await?;
        let chats = rows::chats(&self.db, shop.id).await?;
        Ok((shop, chats))
    }

    /// Another owner link for the shop; the others keep working.
    pub(crate) async fn mint_link(&self, id: Uuid) -> Result<(ShopRecord, NewLink)> {
        rows::mint_link(&self.db, id, self.link_ttl).await
    }

    /// Every unused owner link of the shop stops working; a new one is returned.
    pub(crate) async fn rotate_link(&self, id: Uuid) -> Result<(ShopRecord, NewLink)> {
        rows::rotate_link(&self.db, id, self.link_ttl).await
    }

    /// Removes one chat from one shop: `ShopNotFound`, or `ChatNotFound` when it was not
    /// subscribed.
    pub(crate) async fn remove_chat(&self, id: Uuid, chat_id: ChatId) -> Result<()> {
        let shop = rows::find(&self.db, id).await?;
        if rows::unsubscribe(&self.db, shop.id, chat_id).await? {
            Ok(())
        } else {
            Err(Error::ChatNotFound)
        }
    }

    /// Subscribes a chat with the owner link in a `/start` or `/link` payload (see
    /// `store::sql::shops::subscribe`); `None` when the link does not work for this chat.
    pub(crate) async fn subscribe(
        &self,
        payload: &str,
        chat: ChatInfo,
    ) -> Result<Option<Subscription>> {
        rows::subscribe(&self.db, token_from_payload(payload), chat).await
    }

    /// Removes a chat from every shop; returns the shops it left.
    pub(crate) async fn leave_all(&self, chat_id: ChatId) -> Result<Vec<ShopRecord>> {
        rows::unsubscribe_everywhere(&self.db, chat_id).await
    }

    /// The shops a chat receives orders for.
    pub(crate) async fn of_chat(&self, chat_id: ChatId) -> Result<Vec<ShopRecord>> {
        rows::shops_of_chat(&self.db, chat_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_may_carry_the_prefix() {
        assert_eq!(token_from_payload("shop_abc"), "abc");
        assert_eq!(token_from_payload(" abc "), "abc");
    }

    #[test]
    fn the_owner_link_is_a_deep_link() {
        assert_eq!(
            owner_link("shopbot", "T0K"),
            "https://t.me/shopbot?start=shop_T0K"
        );
    }
}
