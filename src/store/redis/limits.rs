//! Allowances (GCRA), shared by every replica: per address, and per account for login links.

use std::time::Duration;

use super::{RedisStore, millis};
use crate::error::Result;

impl RedisStore {
    /// Counts a request from `addr` against its allowance of `per_minute` (a burst of that many,
    /// refilling evenly over the minute): `None` when admitted, else how long to wait.
    pub async fn admit_address(&self, addr: &str, per_minute: u32) -> Result<Option<Duration>> {
        self.admit(self.keys.address_limit(addr), per_minute).await
    }

    /// The same allowance, for any key.
    pub(super) async fn admit(&self, key: String, per_minute: u32) -> Result<Option<Duration>> {
        let interval_ms = (60_000 / u64::from(per_minute.max(1))).max(1);
        let wait_ms: i64 = self
            .scripts
            .admit_address
            .evalsha_with_reload(
                self.pool.next(),
                vec![key],
                vec![interval_ms.to_string(), per_minute.to_string()],
            )
            .await?;
        Ok((wait_ms > 0).then(|| millis(wait_ms)))
    }
}
