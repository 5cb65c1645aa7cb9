//! Order notifications: the shop backend reports an order, every chat subscribed to the shop
//! gets a message, exactly once.
//!
//! Accepting writes the notification and one delivery row per active chat in one transaction,
//! then enqueues the notification on a Redis Stream. The [`worker`] sends and records each
//! delivery; the rows, not the stream, say what was sent, so work processed twice (a reclaimed
//! entry, a re-enqueue after Redis lost data) sends nothing twice.

pub mod deliveries;
pub mod message;
pub mod order;
pub mod worker;

use chrono::Utc;
use entity::{
    delivery::{self, Entity as Delivery},
    notification::{self, Entity as Notification},
    shop_chat::{self, Entity as ShopChat},
};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait,
    sea_query::OnConflict,
};
use uuid::Uuid;

pub use order::Order;

use crate::{
    db,
    error::{Error, Result},
    shops,
    state::AppState,
};

/// The answer to a submitted order.
#[derive(Debug)]
pub struct Submitted {
    pub id: Uuid,
    pub status: &'static str,
    /// False when this (shop, order) was submitted before.
    pub created: bool,
}

/// A notification with its deliveries.
pub struct View {
    pub notification: notification::Model,
    pub status: &'static str,
    pub deliveries: Vec<delivery::Model>,
}

/// Records the notification (once per shop and order) and queues it for sending.
#[tracing::instrument(skip_all, fields(shop_id = %order.shop_id))]
pub async fn submit(state: &AppState, order: Order) -> Result<Submitted> {
    order.validate()?;
    let shop = shops::find(&state.db, order.shop_id).await?;
    let payload = serde_json::to_string(&order).map_err(|e| Error::Internal(e.into()))?;
    let id = Uuid::new_v4();
    let now = Utc::now();

    let txn = state.db.begin().await?;
    let inserted = Notification::insert(notification::ActiveModel {
        id: Set(id),
        shop_id: Set(shop.id),
        order_id: Set(order.order_id.clone()),
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
        // Submitted before (maybe a moment ago, by a concurrent request): same answer, no work.
        txn.rollback().await?;
        let existing = db::unique(
            Notification::find()
                .filter(notification::Column::ShopId.eq(shop.id))
                .filter(notification::Column::OrderId.eq(order.order_id.as_str())),
            &state.db,
        )
        .await?
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("duplicate notification vanished")))?;
        let view = view(state, existing.id).await?;
        return Ok(Submitted {
            id: existing.id,
            status: view.status,
            created: false,
        });
    }
    let chats = ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(shop.id))
        .filter(shop_chat::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if !chats.is_empty() {
        Delivery::insert_many(chats.iter().map(|chat| delivery::ActiveModel {
            notification_id: Set(id),
            chat_id: Set(chat.chat_id),
            status: Set(deliveries::QUEUED.to_string()),
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

    if chats.is_empty() {
        tracing::info!(notification = %id, "order accepted; the shop has no subscribed chats");
        return Ok(Submitted {
            id,
            status: "no_recipients",
            created: true,
        });
    }
    // The record is durable now; if Redis is away, the worker's sweep enqueues it later.
    if let Err(err) = state.store.enqueue_notification(id).await {
        tracing::warn!(notification = %id, error = %err, "could not enqueue; the sweep will");
    }
    Ok(Submitted {
        id,
        status: "queued",
        created: true,
    })
}

pub async fn view(state: &AppState, id: Uuid) -> Result<View> {
    let Some(job) = deliveries::load(&state.db, id).await? else {
        return Err(Error::NotificationNotFound);
    };
    Ok(View {
        status: deliveries::overall_status(&job.deliveries),
        notification: job.notification,
        deliveries: job.deliveries,
    })
}
