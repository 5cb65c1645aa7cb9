//! OpenID Connect authorization codes and the grants they stand for: a code is kept under its
//! keyed hash for its short life, traded once, and remembered as used while its tokens live,
//! so a replay revokes them.

use std::time::Duration;

use fred::{prelude::KeysInterface, types::Expiration};

use super::{RedisStore, unexpected};
use crate::error::Result;

/// What trading a code found.
#[derive(Debug, PartialEq, Eq)]
pub enum Redeemed {
    /// The grant id and the grant, handed over this once.
    Taken(String, String),
    /// Traded before: the grant id whose tokens are now to be revoked.
    Replayed(String),
    /// Wrong or expired.
    Missing,
}

impl RedisStore {
    pub async fn store_auth_code(
        &self,
        code_hash: &str,
        grant_id: &str,
        grant: &str,
        ttl: Duration,
    ) -> Result<()> {
        self.pool
            .next()
            .set::<(), _, _>(
                self.keys.auth_code(code_hash),
                format!("{grant_id}|{grant}"),
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// Trades a code; `remember` is how long a used code stays known as used.
    pub async fn redeem_auth_code(&self, code_hash: &str, remember: Duration) -> Result<Redeemed> {
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
    pub async fn revoke_grant(&self, grant_id: &str, ttl: Duration) -> Result<()> {
        self.pool
            .next()
            .set::<(), _, _>(
                self.keys.revoked_grant(grant_id),
                1,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    pub async fn grant_revoked(&self, grant_id: &str) -> Result<bool> {
        let found: i64 = self
            .pool
            .next()
            .exists(self.keys.revoked_grant(grant_id))
            .await?;
        Ok(found > 0)
    }
}
