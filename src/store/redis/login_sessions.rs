//! The hosted login page's sessions (single sign-on across a deployment's shops): one record
//! per browser under the keyed hash of its cookie, and a count of the codes it was given.

use std::time::Duration;

use fred::{prelude::KeysInterface, types::Expiration};

use super::RedisStore;
use crate::error::Result;

impl RedisStore {
    pub(crate) async fn put_login_session(
        &self,
        hash: &str,
        record: &str,
        ttl: Duration,
    ) -> Result<()> {
        self.set_expiring(self.keys.login_session(hash), record.to_string(), ttl)
            .await
    }

    pub(crate) async fn login_session(&self, hash: &str) -> Result<Option<String>> {
        Ok(self.pool.next().get(self.keys.login_session(hash)).await?)
    }

    pub(crate) async fn end_login_session(&self, hash: &str) -> Result<()> {
        self.pool
            .next()
            .del::<(), _>(self.keys.login_session(hash))
            .await?;
        Ok(())
    }

    /// Marks every login session of the user opened up to `at` (Unix seconds) as ended, for
    /// `ttl` (the longest one lives).
    pub(crate) async fn end_login_sessions(
        &self,
        user_id: &str,
        at: i64,
        ttl: Duration,
    ) -> Result<()> {
        self.set_expiring(self.keys.login_sessions_ended(user_id), at.to_string(), ttl)
            .await
    }

    /// When the user's login sessions last ended all at once.
    pub(crate) async fn login_sessions_ended(&self, user_id: &str) -> Result<Option<i64>> {
        Ok(self
            .pool
            .next()
            .get(self.keys.login_sessions_ended(user_id))
            .await?)
    }

    /// Counts one more code for the session in the current `window`; the count so far.
    pub(crate) async fn count_session_code(&self, hash: &str, window: Duration) -> Result<u64> {
        let key = self.keys.login_session_codes(hash);
        let client = self.pool.next();
        // The window starts with the first code; INCR keeps the expiry.
        client
            .set::<(), _, _>(
                &key,
                0,
                Some(Expiration::PX(window.as_millis() as i64)),
                Some(fred::types::SetOptions::NX),
                false,
            )
            .await?;
        Ok(client.incr(&key).await?)
    }
}
