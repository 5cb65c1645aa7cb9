//! OpenID Connect authorization codes and the grants they stand for: a code is kept under its
//! keyed hash for its short life, traded once, and remembered as used while its tokens live,
//! so a replay revokes them; a grant with `offline_access` keeps its one live refresh token.

use std::time::Duration;

use fred::prelude::KeysInterface;

use super::{RedisStore, unexpected};
use crate::error::Result;

/// What presenting a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rotated {
    /// The grant; the presented token is replaced by the next.
    Granted(String),
    /// Another token than the live one: the grant has ended.
    Reused,
    Missing,
}

/// What trading a code found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Redeemed {
    /// The grant id and the grant, handed over this once.
    Taken(String, String),
    /// Traded before: the grant id whose tokens are now to be revoked.
    Replayed(String),
    /// Wrong or expired.
    Missing,
}

impl RedisStore {
    pub(crate) async fn store_auth_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        grant: &str,
        ttl: Duration,
    ) -> Result<()> {
        self.set_expiring(
            self.keys.auth_code(code_hash),
            format!("{grant_id}|{grant}"),
            ttl,
        )
        .await
    }

    /// Trades a code; `remember` is how long a used code stays known as used.
    pub(crate) async fn redeem_auth_code(
        &self,
        code_hash: &str,
        remember: Duration,
    ) -> Result<Redeemed> {
        let answer: Vec<String> = self
            .scripts
            .redeem_code
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.auth_code(code_hash)],
                vec![remember.as_millis().to_string()],
            )
            .await?;
        match answer.as_slice() {
            [status] if status == "missing" => Ok(Redeemed::Missing),
            [status, id, grant] if status == "taken" => {
                Ok(Redeemed::Taken(id.clone(), grant.clone()))
            }
            [status, id] if status == "replayed" => Ok(Redeemed::Replayed(id.clone())),
            _ => Err(unexpected("redeem_code", &answer)),
        }
    }

    /// Revokes every token issued from the grant, for `ttl` (their longest life).
    pub(crate) async fn revoke_grant(&self, grant_id: &str, ttl: Duration) -> Result<()> {
        self.set_expiring(self.keys.revoked_grant(grant_id), "1".to_string(), ttl)
            .await
    }

    pub(crate) async fn grant_revoked(&self, grant_id: &str) -> Result<bool> {
        let found: i64 = self
            .pool
            .next()
            .exists(self.keys.revoked_grant(grant_id))
            .await?;
        Ok(found > 0)
    }

    /// Keeps a grant's refresh token (its keyed hash) for `ttl`.
    pub(crate) async fn store_refresh(
        &self,
        grant_id: &str,
        token_hash: &str,
        grant: &str,
        ttl: Duration,
    ) -> Result<()> {
        self.set_expiring(
            self.keys.refresh_grant(grant_id),
            format!("{token_hash}|{grant}"),
            ttl,
        )
        .await
    }

    /// Replaces the grant's refresh token `presented` by `next` (hashes), atomically.
    pub(crate) async fn rotate_refresh(
        &self,
        grant_id: &str,
        presented: &str,
        next: &str,
    ) -> Result<Rotated> {
        let answer: Vec<String> = self
            .scripts
            .rotate_refresh
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.refresh_grant(grant_id)],
                vec![presented.to_string(), next.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [status, grant] if status == "rotated" => Ok(Rotated::Granted(grant.clone())),
            [status] if status == "reused" => Ok(Rotated::Reused),
            [status] if status == "missing" => Ok(Rotated::Missing),
            _ => Err(unexpected("rotate_refresh", &answer)),
        }
    }

    /// The grant a refresh record holds (to check its client before ending it).
    pub(crate) async fn refresh_record(&self, grant_id: &str) -> Result<Option<String>> {
        Ok(self
            .pool
            .next()
            .get(self.keys.refresh_grant(grant_id))
            .await?)
    }

    pub(crate) async fn end_refresh(&self, grant_id: &str) -> Result<()> {
        self.pool
            .next()
            .del::<(), _>(self.keys.refresh_grant(grant_id))
            .await?;
        Ok(())
    }
}
