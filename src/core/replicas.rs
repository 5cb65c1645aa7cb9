//! What the replicas of one deployment agree on through Redis: which one polls Telegram (a
//! lease its holder renews), and which Telegram updates were already handled.

use std::time::Duration;

use crate::{crypto::random_token, error::Result, store::RedisStore};

/// The right to poll Telegram, held by one replica at a time.
pub(crate) struct PollerLease {
    redis: RedisStore,
    key: String,
    /// This replica's id, the lease's value while it holds it.
    me: String,
}

impl PollerLease {
    pub(crate) fn new(redis: &RedisStore) -> Self {
        Self {
            key: redis.keys().poller_lease(),
            redis: redis.clone(),
            me: random_token(12),
        }
    }

    /// Takes the lease if nobody holds it.
    pub(crate) async fn try_take(&self, ttl: Duration) -> Result<bool> {
        self.redis.try_lease(&self.key, &self.me, ttl).await
    }

    /// Extends the lease; false when this replica no longer holds it.
    pub(crate) async fn renew(&self, ttl: Duration) -> Result<bool> {
        self.redis.renew_lease(&self.key, &self.me, ttl).await
    }

    /// Gives the lease up, so another replica takes over at once.
    pub(crate) async fn release(&self) {
        let _ = self.redis.release_lease(&self.key, &self.me).await;
    }
}

/// True the first time a Telegram update id is seen (remembered for a day): Telegram may
/// deliver an update twice, and several replicas may receive it.
pub(crate) async fn first_sighting(redis: &RedisStore, update_id: u32) -> Result<bool> {
    redis.first_sighting(update_id).await
}
