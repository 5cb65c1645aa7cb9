//! The browser's side of a one-tap login: waiting (long poll, bounded per login and per address)
//! and collecting the approved login, once.

use std::{net::IpAddr, time::Duration};

use tokio::time::Instant;
use uuid::Uuid;

use super::{MAX_WAIT, OneTap, RECHECK};
use crate::{
    addresses,
    crypto::{constant_time_eq, random_token},
    domain::User,
    error::{Error, Result},
    meters,
    store::{Collect, WaitsOn},
};

/// What a waiting browser learns.
pub(crate) enum Waited {
    Pending,
    Denied,
    /// Expired, unknown, or collected before.
    Expired,
    /// The customer, verified and logged in: handed over once, for the caller to open the
    /// session it needs (the API's tokens, or the hosted page's login session).
    Approved(Box<User>),
}

/// Browsers that may wait on one login at once: the page, and one more (a second tab, a
/// reload before the first wait ended).
pub(crate) const WAITS_PER_LOGIN: u32 = 2;
/// Waits one address may hold at once: a household or an office behind one address logging in
/// together, far below what would tie up the service's connections.
pub(crate) const WAITS_PER_ADDRESS: u32 = 20;

impl OneTap {
    /// Waits up to `wait` for an answer to the login, then says how it stands. An approval hands
    /// over the customer (verified and logged in, as with a code), once. Only the poll token's
    /// holder waits, within [`WAITS_PER_LOGIN`] and, from one address `from`, [`WAITS_PER_ADDRESS`].
    pub(crate) async fn wait(
        &self,
        login_id: &str,
        poll_token: &str,
        from: Option<IpAddr>,
        wait: Duration,
    ) -> Result<Waited> {
        let poll_hash = self.poll_hash(poll_token);
        match self.redis.login_poll_hash(login_id).await? {
            None => return Ok(Waited::Expired),
            Some(stored) if !constant_time_eq(stored.as_bytes(), poll_hash.as_bytes()) => {
                return Err(Error::Unauthorized);
            }
            Some(_) => {}
        }
        let wait_id = random_token(12);
        let hold = MAX_WAIT + Duration::from_secs(5);
        let address = from.map(addresses::counted_as);
        let mut places = vec![(WaitsOn::Login(login_id), WAITS_PER_LOGIN)];
        if let Some(address) = address.as_deref() {
            places.push((WaitsOn::Address(address), WAITS_PER_ADDRESS));
        }
        let mut taken = Vec::new();
        for (on, limit) in places {
            if !self.redis.take_wait_slot(on, &wait_id, hold, limit).await? {
                self.give_back(&taken, &wait_id).await;
                meters::rate_limited("login_waits");
                return Err(Error::Throttled {
                    retry_after: Duration::from_secs(5),
                });
            }
            taken.push(on);
        }
        let waited = self.wait_for_answer(login_id, &poll_hash, wait).await;
        self.give_back(&taken, &wait_id).await;
        waited
    }
    /// Leaves the places a wait took; one left behind (Redis away) leaves by itself.
    async fn give_back(&self, taken: &[WaitsOn<'_>], wait_id: &str) {
        for on in taken {
            if let Err(err) = self.redis.give_wait_slot(*on, wait_id).await {
                tracing::debug!(error = %err, "a wait's place is left to expire");
            }
        }
    }
    async fn wait_for_answer(
        &self,
        login_id: &str,
        poll_hash: &str,
        wait: Duration,
    ) -> Result<Waited> {
        let deadline = Instant::now() + wait.min(MAX_WAIT);
        loop {
            // Listening before looking, so an answer between the two is not missed.
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            match self.redis.collect_login(login_id, poll_hash).await? {
                Collect::Pending => {}
                Collect::Denied => return Ok(Waited::Denied),
                Collect::Expired => return Ok(Waited::Expired),
                Collect::Forbidden => return Err(Error::Unauthorized),
                Collect::Approved(user_id) => return self.collect(&user_id).await,
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(Waited::Pending);
            }
            tokio::select! {
                _ = settled => {}
                _ = tokio::time::sleep_until(deadline.min(now + RECHECK)) => {}
            }
        }
    }
    async fn collect(&self, user_id: &str) -> Result<Waited> {
        let user_id = Uuid::parse_str(user_id).map_err(|_| {
            Error::Internal(anyhow::anyhow!("a login approved for a malformed user id"))
        })?;
        let Some(user) = self.profiles.logged_in_by_id(user_id).await? else {
            // The user's row went away between the tap and the collection.
            return Ok(Waited::Expired);
        };
        meters::telegram_login("collected");
        meters::login("telegram");
        tracing::info!(user_id = %user.id, "one-tap login collected");
        Ok(Waited::Approved(Box::new(user)))
    }
}
