//! Session records in Redis: one hash per session under the user's hash tag, plus the set of a
//! user's sessions (so that all of them end with one `DEL`).

use std::time::Duration;

use fred::prelude::{KeysInterface, SetsInterface};

use super::{RedisStore, secs, unexpected};
use crate::error::Result;

/// The result of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rotation {
    /// Sign the next refresh token with this id; the session ends at `ends_at` (Unix seconds).
    /// A token presented again within its grace gets the same id as the first time.
    Rotated {
        token_id: String,
        ends_at: i64,
    },
    /// Closed, expired, or past its absolute lifetime.
    Revoked,
    Reused,
}

/// How sessions rotate and end.
#[derive(Clone, Debug)]
pub(crate) struct SessionPolicy {
    pub refresh_ttl: Duration,
    pub reuse_grace: Duration,
    pub max_age: Duration,
}

impl RedisStore {
    /// Starts a session whose first refresh token has id `token_id`; it lives `ttl` (renewed by
    /// each rotation) and never past `max_age` from now.
    pub(crate) async fn start_session(
        &self,
        user_id: &str,
        session_id: &str,
        token_id: &str,
        ttl: Duration,
        max_age: Duration,
    ) -> Result<()> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let _: i64 = self
            .scripts
            .start_session
            .evalsha_with_reload(
                self.pool.next(),
                vec![
                    self.keys.session(user_id, session_id),
                    self.keys.user_sessions(user_id),
                ],
                vec![
                    user_id.to_string(),
                    token_id.to_string(),
                    secs(ttl.min(max_age)).to_string(),
                    now_ms.to_string(),
                    secs(max_age).to_string(),
                ],
            )
            .await?;
        Ok(())
    }

    /// Replaces refresh token `presented` by `next`, detecting reuse.
    pub(crate) async fn rotate_session(
        &self,
        user_id: &str,
        session_id: &str,
        presented: &str,
        next: &str,
        policy: &SessionPolicy,
    ) -> Result<Rotation> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let reply: Vec<fred::types::Value> = self
            .scripts
            .rotate_session
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.session(user_id, session_id)],
                vec![
                    presented.to_string(),
                    next.to_string(),
                    now_ms.to_string(),
                    (policy.reuse_grace.as_millis() as i64).to_string(),
                    secs(policy.refresh_ttl).to_string(),
                    (policy.max_age.as_millis() as i64).to_string(),
                ],
            )
            .await?;
        let mut reply = reply.into_iter();
        let status = reply
            .next()
            .and_then(|v| v.into_string())
            .unwrap_or_default();
        let token_id = reply.next().and_then(|v| v.into_string());
        let ends_ms = reply.next().and_then(|v| v.as_i64());
        match (status.as_str(), token_id, ends_ms) {
            ("ok" | "again", Some(token_id), Some(ends_ms)) => Ok(Rotation::Rotated {
                token_id,
                ends_at: ends_ms / 1000,
            }),
            ("reused", ..) => Ok(Rotation::Reused),
            ("revoked" | "expired", ..) => Ok(Rotation::Revoked),
            (status, ..) => Err(unexpected("rotate_session", status)),
        }
    }

    pub(crate) async fn session_exists(&self, user_id: &str, session_id: &str) -> Result<bool> {
        Ok(self
            .pool
            .next()
            .exists::<i64, _>(self.keys.session(user_id, session_id))
            .await?
            == 1)
    }

    pub(crate) async fn end_session(&self, user_id: &str, session_id: &str) -> Result<()> {
        let client = self.pool.next();
        let key = self.keys.session(user_id, session_id);
        client.del::<(), _>(&key).await?;
        client
            .srem::<(), _, _>(self.keys.user_sessions(user_id), key)
            .await?;
        Ok(())
    }

    /// Ends every session of a user at once.
    pub(crate) async fn end_user_sessions(&self, user_id: &str) -> Result<()> {
        let client = self.pool.next();
        let list = self.keys.user_sessions(user_id);
        let mut keys: Vec<String> = client.smembers(&list).await?;
        keys.push(list);
        // One DEL: every key has the user's hash tag, so a cluster serves them from one slot.
        client.del::<(), _>(keys).await?;
        Ok(())
    }
}
