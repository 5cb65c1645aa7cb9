//! Allowances (GCRA), shared by every replica: per address, and per account for login links.

use std::time::Duration;

use super::{RedisStore, millis};
use crate::error::Result;

/// What a set of waits is kept for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum WaitsOn<'a> {
    /// One one-tap login, by id.
    Login(&'a str),
    /// One client address (an IPv6 client by its /64), as text.
    Address(&'a str),
}

impl RedisStore {
    fn waits_key(&self, on: WaitsOn<'_>) -> String {
        match on {
            WaitsOn::Login(id) => self.keys.login_waits(id),
            WaitsOn::Address(addr) => self.keys.address_waits(addr),
        }
    }

    /// Counts a request from `addr` against its allowance of `per_minute` (a burst of that many,
    /// refilling evenly over the minute): `None` when admitted, else how long to wait.
    pub(crate) async fn admit_address(
        &self,
        addr: &str,
        per_minute: u32,
    ) -> Result<Option<Duration>> {
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

    /// Takes a place among the waits `on` something (at most `limit` at once, each gone after
    /// `hold` at the latest); `false` when they are all taken.
    pub(crate) async fn take_wait_slot(
        &self,
        on: WaitsOn<'_>,
        wait_id: &str,
        hold: Duration,
        limit: u32,
    ) -> Result<bool> {
        let now = chrono::Utc::now().timestamp_millis();
        let taken: i64 = self
            .scripts
            .wait_slot
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.waits_key(on)],
                vec![
                    "take".to_string(),
                    wait_id.to_string(),
                    now.to_string(),
                    hold.as_millis().to_string(),
                    limit.to_string(),
                ],
            )
            .await?;
        Ok(taken == 1)
    }

    /// Leaves the place taken with [`Self::take_wait_slot`].
    pub(crate) async fn give_wait_slot(&self, on: WaitsOn<'_>, wait_id: &str) -> Result<()> {
        let _: i64 = self
            .scripts
            .wait_slot
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.waits_key(on)],
                vec!["give".to_string(), wait_id.to_string()],
            )
            .await?;
        Ok(())
    }
}
