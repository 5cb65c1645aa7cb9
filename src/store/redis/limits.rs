//! The per-address allowance (GCRA), shared by every replica.

use std::time::Duration;

use super::{RedisStore, millis};
use crate::error::Result;

impl RedisStore {
    /// Counts a request from `addr` against its allowance of `per_minute` (a burst of that many,
    /// refilling evenly over the minute): `None` when admitted, else how long to wait.
    pub async fn admit_address(&self, addr: &str, per_minute: u32) -> Result<Option<Duration>> {
        let interval_ms = (60_000 / u64::from(per_minute.max(1))).max(1);
        let wait_ms: i64 = self
            .scripts
            .admit_address
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.address_limit(addr)],
                vec![interval_ms.to_string(), per_minute.to_string()],
            )
            .await?;
        Ok((wait_ms > 0).then(|| millis(wait_ms)))
    }
}
