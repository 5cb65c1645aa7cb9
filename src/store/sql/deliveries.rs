//! The delivery records: claiming one before sending, and recording what Telegram said.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use entity::{
    delivery::{self, Column, Entity as Delivery},
    notification::{self, Entity as Notification},
    shop::Entity as Shop,
    shop_chat::{self, Entity as ShopChat},
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use crate::{error::Result, store::sql as db};

use DeliveryStatus::{Failed, Inactive, Queued, Retrying, Sending, Sent, Unknown};
pub use entity::delivery::DeliveryStatus;

/// A notification with what is needed to send it.
pub struct Job {
    pub notification: notification::Model,
    pub shop_name: String,
    pub deliveries: Vec<delivery::Model>,
    /// Each subscribed chat's language (`uz`, `ru`, `en`), where known.
    pub chat_languages: std::collections::HashMap<i64, String>,
}

pub async fn load(db: &DatabaseConnection, id: Uuid) -> Result<Option<Job>> {
    let Some(notification) = db::unique(Notification::find_by_id(id), db).await? else {
        return Ok(None);
    };
    let shop_name = db::unique(Shop::find_by_id(notification.shop_id), db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let deliveries = Delivery::find()
        .filter(Column::NotificationId.eq(id))
        .all(db)
        .await?;
    let chat_languages = ShopChat::find()
        .filter(shop_chat::Column::ShopId.eq(notification.shop_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|chat| Some((chat.chat_id, chat.language?)))
        .collect();
    Ok(Some(Job {
        notification,
        shop_name,
        deliveries,
        chat_languages,
    }))
}

fn key(notification: Uuid, chat_id: i64) -> Condition {
    Condition::all()
        .add(Column::NotificationId.eq(notification))
        .add(Column::ChatId.eq(chat_id))
}

/// Takes a due delivery for sending (one worker wins), holding it for `lease`; returns the
/// claim's token, which recording the outcome needs. A delivery left `sending` by a worker that
/// died is due again once its lease ran out.
pub async fn claim(
    db: &DatabaseConnection,
    notification: Uuid,
    chat_id: i64,
    lease: std::time::Duration,
) -> Result<Option<String>> {
    let token = crate::crypto::random_token(22);
    let now = Utc::now();
    let lease_until = now + ChronoDuration::from_std(lease).unwrap_or(ChronoDuration::seconds(30));
    let due = Condition::any()
        .add(
            Condition::all()
                .add(Column::Status.is_in([Queued, Retrying]))
                .add(
                    Condition::any()
                        .add(Column::NextAttemptAt.is_null())
                        .add(Column::NextAttemptAt.lte(now)),
                ),
        )
        .add(
            Condition::all()
                .add(Column::Status.eq(Sending))
                .add(Column::LeaseUntil.lt(now)),
        );
    let result = Delivery::update_many()
        .col_expr(Column::Status, Expr::value(Sending))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LeaseUntil, Expr::value(lease_until))
        .col_expr(Column::Claim, Expr::value(token.clone()))
        .filter(key(notification, chat_id))
        .filter(due)
        .exec(db)
        .await?;
    Ok((result.rows_affected == 1).then_some(token))
}

/// Which claim an outcome belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Claimed<'a> {
    pub notification: Uuid,
    pub chat_id: i64,
    pub token: &'a str,
}

/// Records an outcome under its claim; false when a newer claim owns the row (this worker's
/// lease ran out and another took the delivery over): nothing is written then.
async fn settle(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    status: DeliveryStatus,
    error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    message_id: Option<i64>,
) -> Result<bool> {
    let mut update = Delivery::update_many()
        .col_expr(Column::Status, Expr::value(status))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(Column::NextAttemptAt, Expr::value(next_attempt_at))
        .col_expr(Column::LastError, Expr::value(error));
    if status == Sent {
        update = update
            .col_expr(Column::SentAt, Expr::value(Utc::now()))
            .col_expr(Column::MessageId, Expr::value(message_id));
    }
    let result = update
        .filter(key(claimed.notification, claimed.chat_id))
        .filter(Column::Status.eq(Sending))
        .filter(Column::Claim.eq(claimed.token))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn mark_sent(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    message_id: i64,
) -> Result<bool> {
    settle(db, claimed, Sent, None, None, Some(message_id)).await
}

pub async fn mark_retry(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    at: DateTime<Utc>,
    error: String,
) -> Result<bool> {
    settle(db, claimed, Retrying, Some(error), Some(at), None).await
}

pub async fn mark_failed(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    error: String,
) -> Result<bool> {
    settle(db, claimed, Failed, Some(error), None, None).await
}

/// The request went out and no answer came back: see [`DeliveryStatus::Unknown`].
pub async fn mark_unknown(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    error: String,
) -> Result<bool> {
    settle(db, claimed, Unknown, Some(error), None, None).await
}

/// Telegram refuses the chat for good (bot blocked or removed): stop sending to it.
pub async fn mark_inactive(
    db: &DatabaseConnection,
    claimed: Claimed<'_>,
    error: String,
) -> Result<bool> {
    // The chat first: Telegram said it refuses the bot, whichever worker records the outcome,
    // and whoever sees this delivery settled as inactive then also sees the chat inactive.
    ShopChat::update_many()
        .col_expr(shop_chat::Column::Active, Expr::value(false))
        .filter(shop_chat::Column::ChatId.eq(claimed.chat_id))
        .exec(db)
        .await?;
    settle(db, claimed, Inactive, Some(error), None, None).await
}

/// A group became a supergroup with a new id: move its subscriptions, and this delivery, there.
///
/// Only writes, each deciding with a subquery: on SQLite a transaction that reads first cannot
/// always upgrade to a write when another connection wrote meanwhile (it fails at once, without
/// waiting), so the first statement takes the write lock.
pub async fn migrate_chat(db: &DatabaseConnection, claimed: Claimed<'_>, new: i64) -> Result<bool> {
    let (notification, old, claim) = (claimed.notification, claimed.chat_id, claimed.token);
    let txn = db.begin().await?;
    let subscribed_under_new = Query::select()
        .column(shop_chat::Column::ShopId)
        .from(ShopChat)
        .and_where(shop_chat::Column::ChatId.eq(new))
        .to_owned();
    ShopChat::update_many()
        .col_expr(shop_chat::Column::ChatId, Expr::value(new))
        .col_expr(shop_chat::Column::ChatType, Expr::value("supergroup"))
        .filter(shop_chat::Column::ChatId.eq(old))
        .filter(shop_chat::Column::ShopId.not_in_subquery(subscribed_under_new))
        .exec(&txn)
        .await?;
    // Shops that were subscribed under both ids keep the new row.
    ShopChat::delete_many()
        .filter(shop_chat::Column::ChatId.eq(old))
        .exec(&txn)
        .await?;

    let delivered_under_new = Query::select()
        .expr(Expr::val(1))
        .from(Delivery)
        .and_where(Column::NotificationId.eq(notification))
        .and_where(Column::ChatId.eq(new))
        .to_owned();
    Delivery::update_many()
        .col_expr(Column::ChatId, Expr::value(new))
        .col_expr(Column::Status, Expr::value(Queued))
        .col_expr(Column::NextAttemptAt, Expr::value(Utc::now()))
        .col_expr(
            Column::LeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(key(notification, old))
        .filter(Column::Claim.eq(claim))
        .filter(Expr::exists(delivered_under_new).not())
        .exec(&txn)
        .await?;
    // If the supergroup already had this delivery, the old one goes.
    Delivery::delete_many()
        .filter(key(notification, old))
        .filter(Column::Claim.eq(claim))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Notifications that still have work: all of them (`overdue_by = None`, at startup), or those
/// whose due work nobody has picked up for `overdue_by`.
pub async fn unfinished(
    db: &DatabaseConnection,
    overdue_by: Option<std::time::Duration>,
) -> Result<Vec<Uuid>> {
    let mut query = Delivery::find()
        .select_only()
        .column(Column::NotificationId)
        .distinct()
        .filter(Column::Status.is_in([Queued, Retrying, Sending]));
    if let Some(overdue_by) = overdue_by {
        let cutoff = Utc::now()
            - ChronoDuration::from_std(overdue_by).unwrap_or(ChronoDuration::seconds(60));
        query = query.filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(Column::Status.is_in([Queued, Retrying]))
                        .add(Column::NextAttemptAt.lt(cutoff)),
                )
                .add(
                    Condition::all()
                        .add(Column::Status.eq(Sending))
                        .add(Column::LeaseUntil.lt(cutoff)),
                ),
        );
    }
    Ok(query.into_tuple().all(db).await?)
}
