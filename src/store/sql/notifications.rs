//! `notifications`: one row per (shop, order), written with its deliveries in one transaction.

use chrono::Utc;
use entity::{
    delivery::{self, Entity as Delivery},
    notification::{self, Entity as Notification},
    shop_chat::{self, Entity as ShopChat},
};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::OnConflict,
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// What recording an order did.
#[derive(Debug, PartialEq, Eq)]
pub enum Recorded {
    /// A new notification, with a queued delivery for each of `recipients` active chats.
    New { id: Uuid, recipients: usize },
    /// This (shop, order) was recorded before, as this notification: nothing was written.
    Existing(Uuid),
}

/// Records the notification of `order_id` once per shop, with one delivery per active chat.
pub async fn record(
    db: &DatabaseConnection,
    shop_id: Uuid,
    order_id: &str,
    payload: String,
) -> Result<Recorded> {
    let id = Uuid::new_v4();
    let now = Utc::now();
    let txn = db.begin().await?;
    let inserted = Notification::insert(notification::ActiveModel {
        id: Set(id),
        shop_id: Set(shop_id),
        order_id: Set(order_id.to_string()),
        payload: Set(payload),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([notification::Column::ShopId, notification::Column::OrderId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if inserted == 0 {
        txn.rollback().await?;
        let existing = super::unique(
            Notification::find()
                .filter(notification::Column::ShopId.eq(shop_id))
                .filter(notification::Column::OrderId.eq(order_id)),
            db,
        )
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("duplicate notification vanished")))?;
        return Ok(Recorded::Existing(existing.id));
    }
    let chats = ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(shop_id))
        .filter(shop_chat::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if !chats.is_empty() {
        Delivery::insert_many(chats.iter().map(|chat| delivery::ActiveModel {
            notification_id: Set(id),
            chat_id: Set(chat.chat_id),
            status: Set(super::deliveries::DeliveryStatus::Queued),
            attempts: Set(0),
            last_error: Set(None),
            next_attempt_at: Set(Some(now)),
            lease_until: Set(None),
            claim: Set(None),
            sent_at: Set(None),
            message_id: NotSet,
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Recorded::New {
        id,
        recipients: chats.len(),
    })
}
