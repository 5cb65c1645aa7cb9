//! Shops and the chats that hear about their orders. A shop's owner link carries a random token;
//! only its SHA-256 is stored, so a database leak does not hand out subscriptions.

use chrono::Utc;
use entity::{
    shop::{self, Entity as Shop},
    shop_chat::{self, Entity as ShopChat},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::OnConflict,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    crypto::random_token,
    db,
    error::{Error, Result},
};

pub use entity::{shop::Model as ShopRecord, shop_chat::Model as ShopChatRecord};

/// The prefix of a deep-link payload: `t.me/<bot>?start=shop_<token>`.
pub const DEEP_LINK_PREFIX: &str = "shop_";

/// A chat that asks to be subscribed.
#[derive(Clone, Debug)]
pub struct ChatInfo {
    pub chat_id: i64,
    pub chat_type: &'static str,
    pub title: Option<String>,
    pub added_by: Option<i64>,
    /// The language order messages to this chat are written in (the subscriber's).
    pub language: &'static str,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Accepts `shop_<token>` as well as the bare token.
pub fn token_from_payload(payload: &str) -> &str {
    let payload = payload.trim();
    payload.strip_prefix(DEEP_LINK_PREFIX).unwrap_or(payload)
}

/// The link that subscribes an owner's private chat.
pub fn owner_link(bot_username: &str, token: &str) -> String {
    format!("https://t.me/{bot_username}?start={DEEP_LINK_PREFIX}{token}")
}

/// Creates a shop; returns it with its owner-link token (shown once, never stored).
pub async fn create(db: &DatabaseConnection, name: &str) -> Result<(ShopRecord, String)> {
    let token = random_token(32);
    let now = Utc::now();
    let shop = shop::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set(name.to_string()),
        link_token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        link_rotated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((shop, token))
}

pub async fn find(db: &DatabaseConnection, id: Uuid) -> Result<ShopRecord> {
    db::unique(Shop::find_by_id(id), db)
        .await?
        .ok_or(Error::ShopNotFound)
}

/// The shop's subscribed chats, oldest first.
pub async fn chats(db: &DatabaseConnection, shop_id: Uuid) -> Result<Vec<ShopChatRecord>> {
    Ok(ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(shop_id))
        .order_by_asc(shop_chat::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Replaces the shop's owner-link token: the old link stops working at once.
pub async fn rotate_link(db: &DatabaseConnection, id: Uuid) -> Result<(ShopRecord, String)> {
    let shop = find(db, id).await?;
    let token = random_token(32);
    let mut active: shop::ActiveModel = shop.into();
    active.link_token_hash = Set(hash_token(&token));
    active.link_rotated_at = Set(Utc::now());
    Ok((active.update(db).await?, token))
}

/// Subscribes a chat to the shop whose current token this is; `None` for an unknown or rotated
/// token. Subscribing again re-activates the chat and refreshes its title.
pub async fn subscribe(
    db: &DatabaseConnection,
    token: &str,
    chat: ChatInfo,
) -> Result<Option<ShopRecord>> {
    let Some(shop) = db::unique(
        Shop::find().filter(shop::Column::LinkTokenHash.eq(hash_token(token))),
        db,
    )
    .await?
    else {
        return Ok(None);
    };
    let row = shop_chat::ActiveModel {
        shop_id: Set(shop.id),
        chat_id: Set(chat.chat_id),
        chat_type: Set(chat.chat_type.to_string()),
        title: Set(chat.title),
        added_by: Set(chat.added_by),
        language: Set(Some(chat.language.to_string())),
        active: Set(true),
        created_at: Set(Utc::now()),
    };
    ShopChat::insert(row)
        .on_conflict(
            OnConflict::columns([shop_chat::Column::ShopId, shop_chat::Column::ChatId])
                .update_columns([
                    shop_chat::Column::ChatType,
                    shop_chat::Column::Title,
                    shop_chat::Column::Language,
                    shop_chat::Column::Active,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(Some(shop))
}

/// Removes one chat from one shop; false when it was not subscribed.
pub async fn unsubscribe(db: &DatabaseConnection, shop_id: Uuid, chat_id: i64) -> Result<bool> {
    let result = ShopChat::delete_many()
        .filter(shop_chat::Column::ShopId.eq(shop_id))
        .filter(shop_chat::Column::ChatId.eq(chat_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Removes a chat from every shop; returns the shops it left.
pub async fn unsubscribe_everywhere(
    db: &DatabaseConnection,
    chat_id: i64,
) -> Result<Vec<ShopRecord>> {
    let shops = shops_of_chat(db, chat_id).await?;
    ShopChat::delete_many()
        .filter(shop_chat::Column::ChatId.eq(chat_id))
        .exec(db)
        .await?;
    Ok(shops)
}

/// The shops a chat receives orders for.
pub async fn shops_of_chat(db: &DatabaseConnection, chat_id: i64) -> Result<Vec<ShopRecord>> {
    Ok(Shop::find()
        .inner_join(ShopChat)
        .filter(shop_chat::Column::ChatId.eq(chat_id))
        .filter(shop_chat::Column::Active.eq(true))
        .order_by_asc(shop::Column::Name)
        .all(db)
        .await?)
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

    #[test]
    fn tokens_are_stored_hashed() {
        let hash = hash_token("secret-token");
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("secret"));
    }
}
