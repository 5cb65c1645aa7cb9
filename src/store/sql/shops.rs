//! `shops`, `shop_chats`, `shop_links`: shops, the chats that hear about their orders, and the
//! owner links that subscribe chats. A link's token is stored as its SHA-256 only, so a
//! database leak hands out no subscriptions.

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{
    shop::{self, Entity as Shop},
    shop_chat::{self, Entity as ShopChat},
    shop_link::{self, Entity as ShopLink},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
    sea_query::{Expr, OnConflict},
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    crypto::random_token,
    domain::{ChatId, TelegramId},
    error::{Error, Result},
    store::sql as db,
};

pub(crate) use entity::{shop::Model as ShopRecord, shop_chat::Model as ShopChatRecord};

/// A chat that asks to be subscribed.
#[derive(Clone, Debug)]
pub struct ChatInfo {
    pub chat_id: ChatId,
    pub chat_type: &'static str,
    pub title: Option<String>,
    pub added_by: Option<TelegramId>,
    /// The language order messages to this chat are written in (the subscriber's).
    pub language: &'static str,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new owner link's token (shown once, never stored) and when it stops working.
#[derive(Debug)]
pub struct NewLink {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores a new link for `shop_id`.
async fn insert_link(db: &impl ConnectionTrait, shop_id: Uuid, ttl: Duration) -> Result<NewLink> {
    let token = random_token(32);
    let now = Utc::now();
    let expires_at = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(7));
    shop_link::ActiveModel {
        token_hash: Set(hash_token(&token)),
        shop_id: Set(shop_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        used_by_chat: Set(None),
    }
    .insert(db)
    .await?;
    Ok(NewLink { token, expires_at })
}

/// Creates a shop with its first owner link.
pub(crate) async fn create(
    db: &DatabaseConnection,
    name: &str,
    link_ttl: Duration,
) -> Result<(ShopRecord, NewLink)> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let id = Uuid::new_v4();
    let shop = shop::ActiveModel {
        id: Set(id),
        name: Set(name.to_string()),
        // Unique and never read (see the entity): a random value's hash.
        link_token_hash: Set(hash_token(&random_token(32))),
        created_at: Set(now),
        link_rotated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let link = insert_link(&txn, id, link_ttl).await?;
    txn.commit().await?;
    Ok((shop, link))
}

pub(crate) async fn find(db: &DatabaseConnection, id: Uuid) -> Result<ShopRecord> {
    db::unique(Shop::find_by_id(id), db)
        .await?
        .ok_or(Error::ShopNotFound)
}

/// The shop's subscribed chats, oldest first.
pub(crate) async fn chats(db: &DatabaseConnection, shop_id: Uuid) -> Result<Vec<ShopChatRecord>> {
    Ok(ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(shop_id))
        .order_by_asc(shop_chat::Column::CreatedAt)
        .all(db)
        .await?)
}

/// Another owner link for the shop; the others keep working.
pub(crate) async fn mint_link(
    db: &DatabaseConnection,
    id: Uuid,
    ttl: Duration,
) -> Result<(ShopRecord, NewLink)> {
    let shop = find(db, id).await?;
    let link = insert_link(db, shop.id, ttl).await?;
    Ok((shop, link))
}

/// Every unused owner link of the shop stops working; a new one is returned.
pub(crate) async fn rotate_link(
    db: &DatabaseConnection,
    id: Uuid,
    ttl: Duration,
) -> Result<(ShopRecord, NewLink)> {
    let shop = find(db, id).await?;
    let txn = db.begin().await?;
    ShopLink::delete_many()
        .filter(shop_link::Column::ShopId.eq(shop.id))
        .filter(shop_link::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let link = insert_link(&txn, shop.id, ttl).await?;
    let mut active: shop::ActiveModel = shop.into();
    active.link_rotated_at = Set(Utc::now());
    let shop = active.update(&txn).await?;
    txn.commit().await?;
    Ok((shop, link))
}

/// A chat subscribed through an owner link.
#[derive(Debug)]
pub struct Subscription {
    pub shop: ShopRecord,
    /// The shop's other active chats, when this chat is new to the shop (they are told).
    pub others: Vec<ShopChatRecord>,
}

/// Subscribes a chat with an owner link: a live link (unused, not expired) is used up by it.
/// The chat that used a link may use it again (a second tap re-activates its subscription);
/// `None` for any other chat, and for unknown, rotated or expired links.
///
/// The link is used up first, in one conditional `UPDATE`, so that of two chats racing for it
/// exactly one wins without a read-then-write transaction (on SQLite two of those deadlock).
pub(crate) async fn subscribe(
    db: &DatabaseConnection,
    token: &str,
    chat: ChatInfo,
) -> Result<Option<Subscription>> {
    let now = Utc::now();
    let hash = hash_token(token);
    let used_up = ShopLink::update_many()
        .col_expr(shop_link::Column::UsedAt, Expr::value(now))
        .col_expr(shop_link::Column::UsedByChat, Expr::value(chat.chat_id.0))
        .filter(shop_link::Column::TokenHash.eq(hash.clone()))
        .filter(shop_link::Column::UsedAt.is_null())
        .filter(shop_link::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?
        .rows_affected
        == 1;
    let Some(link) = db::unique(ShopLink::find_by_id(hash), db).await? else {
        return Ok(None);
    };
    if !used_up && link.used_by_chat != Some(chat.chat_id.0) {
        return Ok(None);
    }
    let Some(shop) = db::unique(Shop::find_by_id(link.shop_id), db).await? else {
        return Ok(None);
    };
    let chats = ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(shop.id))
        .filter(shop_chat::Column::Active.eq(true))
        .order_by_asc(shop_chat::Column::CreatedAt)
        .all(db)
        .await?;
    let others = if chats.iter().any(|c| c.chat_id == chat.chat_id.0) {
        Vec::new()
    } else {
        chats
    };
    let row = shop_chat::ActiveModel {
        shop_id: Set(shop.id),
        chat_id: Set(chat.chat_id.0),
        chat_type: Set(chat.chat_type.to_string()),
        title: Set(chat.title),
        added_by: Set(chat.added_by.map(|id| id.0)),
        language: Set(Some(chat.language.to_string())),
        active: Set(true),
        created_at: Set(now),
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
    Ok(Some(Subscription { shop, others }))
}

/// Removes one chat from one shop; false when it was not subscribed.
pub(crate) async fn unsubscribe(
    db: &DatabaseConnection,
    shop_id: Uuid,
    chat_id: ChatId,
) -> Result<bool> {
    let result = ShopChat::delete_many()
        .filter(shop_chat::Column::ShopId.eq(shop_id))
        .filter(shop_chat::Column::ChatId.eq(chat_id.0))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Removes a chat from every shop; returns the shops it left.
pub(crate) async fn unsubscribe_everywhere(
    db: &DatabaseConnection,
    chat_id: ChatId,
) -> Result<Vec<ShopRecord>> {
    let shops = shops_of_chat(db, chat_id).await?;
    ShopChat::delete_many()
        .filter(shop_chat::Column::ChatId.eq(chat_id.0))
        .exec(db)
        .await?;
    Ok(shops)
}

/// The shops a chat receives orders for.
pub(crate) async fn shops_of_chat(
    db: &DatabaseConnection,
    chat_id: ChatId,
) -> Result<Vec<ShopRecord>> {
    Ok(Shop::find()
        .inner_join(ShopChat)
        .filter(shop_chat::Column::ChatId.eq(chat_id.0))
        .filter(shop_chat::Column::Active.eq(true))
        .order_by_asc(shop::Column::Name)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stored_hashed() {
        let hash = hash_token("secret-token");
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("secret"));
    }
}
