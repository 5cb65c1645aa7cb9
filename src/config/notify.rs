//! `notify`: how order notifications are paced and retried, and how long owner links work.

use std::time::Duration;

use super::{ConfigError, env::Raw, invalid, seconds};

/// How order notifications are paced and retried.
#[derive(Clone, Debug)]
pub struct NotifyPolicy {
    /// Messages per second across all chats (Telegram: about 30; paid broadcasts up to 1000).
    pub global_per_second: u32,
    /// Messages per second to one private chat.
    pub chat_per_second: u32,
    /// Messages per minute to one group.
    pub group_per_minute: u32,
    /// How long failing deliveries are retried before they are given up.
    pub max_retry: Duration,
    /// A queue entry idle this long belongs to a dead worker and is taken over.
    pub reclaim_idle: Duration,
    /// How long a worker owns a delivery it is sending. Longer than one call to Telegram can
    /// take (teloxide: 17 s timeout, plus 10 s it waits after a 5xx), or a slow send could be
    /// taken over and sent twice; a worker that died mid-send is replaced after it.
    pub send_lease: Duration,
    /// How long a shutdown waits for claimed sends to finish and be recorded.
    pub drain: Duration,
    /// How long a shop's owner link works if nobody uses it.
    pub shop_link_ttl: Duration,
}

impl NotifyPolicy {
    pub(super) fn from_raw(raw: &Raw) -> Result<Self, ConfigError> {
        for (var, value) in [
            (
                "TELEGRAM_GLOBAL_RATE_PER_SECOND",
                raw.telegram_global_rate_per_second,
            ),
            (
                "TELEGRAM_CHAT_RATE_PER_SECOND",
                raw.telegram_chat_rate_per_second,
            ),
            (
                "TELEGRAM_GROUP_RATE_PER_MINUTE",
                raw.telegram_group_rate_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(invalid(var, "must be at least 1"));
            }
        }
        Ok(Self {
            global_per_second: raw.telegram_global_rate_per_second,
            chat_per_second: raw.telegram_chat_rate_per_second,
            group_per_minute: raw.telegram_group_rate_per_minute,
            max_retry: seconds("NOTIFY_MAX_RETRY_SECONDS", raw.notify_max_retry_seconds, 1)?,
            reclaim_idle: seconds(
                "NOTIFY_RECLAIM_IDLE_SECONDS",
                raw.notify_reclaim_idle_seconds,
                1,
            )?,
            send_lease: seconds(
                "NOTIFY_SEND_LEASE_SECONDS",
                raw.notify_send_lease_seconds,
                1,
            )?,
            drain: seconds("NOTIFY_DRAIN_SECONDS", raw.notify_drain_seconds, 0)?,
            shop_link_ttl: seconds("SHOP_LINK_TTL_SECONDS", raw.shop_link_ttl_seconds, 60)?,
        })
    }
}
