//! Order notifications: the shop backend reports an order, every chat subscribed to the shop
//! gets a message, exactly once.
//!
//! Accepting writes the notification and one delivery row per active chat in one transaction,
//! then enqueues the notification on a Redis Stream. The `worker` sends and records each
//! delivery; the rows, not the stream, say what was sent, so work processed twice (a reclaimed
//! entry, a re-enqueue after Redis lost data) sends nothing twice.

mod lifecycle;
pub(crate) mod message;
pub(crate) mod order;
mod status;
mod verdict;
mod worker;

use entity::{delivery, notification};
use uuid::Uuid;

pub(crate) use lifecycle::start;
pub(crate) use order::Order;

pub(crate) use status::{NotificationStatus, public_status};

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{
    config::NotifyPolicy,
    domain::Lang,
    error::{Error, Result},
    store::{
        RedisStore,
        sql::{
            deliveries,
            notifications::{self, Recorded},
            shops,
        },
    },
    tasks::Tasks,
    telegram::{TelegramClient, pacer::Pacer},
};

/// Order notifications: accepting them, and the worker that sends them. Owns its handles (one
/// `Arc`): the database (the rows say what was sent), Redis (the queue), the Telegram client and
/// the process's pacer, the policy (retries, leases, the drain), the language of a chat that
/// chose none, and the tasks the worker runs on.
pub(crate) type Notifications = crate::core::Component<Handles>;

pub(crate) struct Handles {
    pub db: DatabaseConnection,
    pub redis: RedisStore,
    pub telegram: TelegramClient,
    pub pacer: Arc<Pacer>,
    pub policy: NotifyPolicy,
    pub default_language: Lang,
    pub tasks: Tasks,
}

/// The answer to a submitted order.
#[derive(Debug)]
pub(crate) struct Submitted {
    pub id: Uuid,
    pub status: NotificationStatus,
    /// False when this (shop, order) was submitted before.
    pub created: bool,
}

/// A notification with its deliveries.
pub(crate) struct View {
    pub notification: notification::Model,
    pub status: NotificationStatus,
    pub deliveries: Vec<delivery::Model>,
}

impl Notifications {
    /// Records the notification (once per shop and order) and queues it for sending.
    #[tracing::instrument(skip_all, fields(shop_id = %order.shop_id))]
    pub(crate) async fn submit(&self, order: Order) -> Result<Submitted> {
        order.validate()?;
        let shop = shops::find(&self.db, order.shop_id).await?;
        let payload = serde_json::to_string(&order).map_err(|e| Error::Internal(e.into()))?;
        let id = match notifications::record(&self.db, shop.id, &order.order_id, payload).await? {
            Recorded::Existing(existing) => {
                // Submitted before (maybe a moment ago, by a concurrent request): same answer, no
                // work.
                let view = self.view(existing).await?;
                return Ok(Submitted {
                    id: existing,
                    status: view.status,
                    created: false,
                });
            }
            Recorded::New { id, recipients: 0 } => {
                tracing::info!(notification = %id, "order accepted; the shop has no subscribed chats");
                return Ok(Submitted {
                    id,
                    status: NotificationStatus::NoRecipients,
                    created: true,
                });
            }
            Recorded::New { id, .. } => id,
        };
        // The record is durable now; if Redis is away, the worker's sweep enqueues it later.
        if let Err(err) = self.redis.enqueue_notification(id).await {
            tracing::warn!(notification = %id, error = %err, "could not enqueue; the sweep will");
        }
        Ok(Submitted {
            id,
            status: NotificationStatus::Queued,
            created: true,
        })
    }

    pub(crate) async fn view(&self, id: Uuid) -> Result<View> {
        let Some(job) = deliveries::load(&self.db, id).await? else {
            return Err(Error::NotificationNotFound);
        };
        Ok(View {
            status: NotificationStatus::of(&job.deliveries),
            notification: job.notification,
            deliveries: job.deliveries,
        })
    }
}
