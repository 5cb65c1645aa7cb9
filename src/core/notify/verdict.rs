//! What Telegram's answer means for one delivery, and writing it down.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{store::sql::deliveries, telegram::outcome::Answer};

/// What Telegram's answer means for a delivery.
pub(super) enum Verdict {
    Sent(i64),
    Retry(DateTime<Utc>, String),
    Migrated(i64),
    Inactive(String),
    Failed(String),
    /// The request went out, no answer came back: not sent again.
    Unknown(String),
}

impl Verdict {
    /// The `outcome` label of `otpgram_deliveries_total`.
    fn outcome(&self) -> &'static str {
        match self {
            Verdict::Sent(_) => "sent",
            Verdict::Retry(..) => "retry",
            Verdict::Migrated(_) => "migrated",
            Verdict::Inactive(_) => "inactive",
            Verdict::Failed(_) => "failed",
            Verdict::Unknown(_) => "unknown",
        }
    }

    /// The verdict on the `attempt`th send of a notification made at `created`: transient
    /// failures are retried with a backoff until `max_retry` after it.
    pub(super) fn of(
        answer: Answer,
        id: Uuid,
        chat: i64,
        attempt: i32,
        created: DateTime<Utc>,
        max_retry: Duration,
    ) -> Self {
        match answer {
            Answer::Sent(message_id) => Verdict::Sent(i64::from(message_id)),
            Answer::Throttled(wait) => {
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                Verdict::Retry(at, format!("429: retry after {}s", wait.as_secs()))
            }
            Answer::Migrated(new) => {
                tracing::info!(old = chat, new, "group migrated to a supergroup");
                Verdict::Migrated(new)
            }
            Answer::ChatGone(err) => {
                tracing::info!(chat, error = %err, "chat refuses the bot; marking it inactive");
                Verdict::Inactive(err)
            }
            Answer::Unknown(err) => {
                tracing::warn!(notification = %id, chat, error = %err, "no answer to a sent order message; not sending it again");
                Verdict::Unknown(err)
            }
            Answer::Transient(err) => {
                let at = Utc::now() + backoff(attempt);
                let deadline = created + chrono::Duration::from_std(max_retry).unwrap_or_default();
                if at > deadline {
                    Verdict::Failed(format!("gave up after {attempt} attempts: {err}"))
                } else {
                    Verdict::Retry(at, err)
                }
            }
            Answer::Refused(err) => Verdict::Failed(err),
        }
    }

    /// Writes down what Telegram answered. It must not fail for a passing reason, or the lease
    /// runs out and a sent message is sent again: a few tries, then give up (logged).
    pub(super) async fn record(&self, db: &DatabaseConnection, claimed: deliveries::Claimed<'_>) {
        let verdict = self;
        let (id, chat) = (claimed.notification, claimed.chat_id);
        for attempt in 1..=5 {
            let recorded = match verdict {
                Verdict::Sent(message_id) => deliveries::mark_sent(db, claimed, *message_id).await,
                Verdict::Retry(at, error) => {
                    deliveries::mark_retry(db, claimed, *at, error.clone()).await
                }
                Verdict::Migrated(new) => deliveries::migrate_chat(db, claimed, *new).await,
                Verdict::Inactive(error) => {
                    deliveries::mark_inactive(db, claimed, error.clone()).await
                }
                Verdict::Failed(error) => deliveries::mark_failed(db, claimed, error.clone()).await,
                Verdict::Unknown(error) => {
                    deliveries::mark_unknown(db, claimed, error.clone()).await
                }
            };
            match recorded {
                Ok(true) => {
                    crate::meters::delivery(verdict.outcome());
                    return;
                }
                Ok(false) => {
                    tracing::warn!(notification = %id, chat, "a newer claim owns this delivery; its outcome stands");
                    return;
                }
                Err(err) if attempt < 5 => {
                    tracing::warn!(notification = %id, chat, error = %err, "recording a delivery failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(err) => {
                    tracing::error!(notification = %id, chat, error = %err, "could not record a delivery");
                }
            }
        }
    }
}

/// 1 s, 2 s, 4 s … up to 5 minutes, with ±20 % jitter so retries of many chats spread out.
fn backoff(attempt: i32) -> chrono::Duration {
    let base = 2f64.powi(attempt.clamp(1, 20) - 1).min(300.0);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    chrono::Duration::milliseconds((base * jitter * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= chrono::Duration::milliseconds(1200));
        assert!(backoff(4) >= chrono::Duration::milliseconds(6400));
        assert!(backoff(30) <= chrono::Duration::seconds(360));
    }
}
