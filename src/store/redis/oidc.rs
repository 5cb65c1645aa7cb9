//! OpenID Connect authorization codes: kept under a keyed hash of the code, for their short
//! life, and taken (read and deleted at once) when traded.

use std::time::Duration;

use fred::{prelude::KeysInterface, types::Expiration};

use super::RedisStore;
use crate::error::Result;

impl RedisStore {
    pub async fn store_auth_code(&self, code_hash: &str, grant: &str, ttl: Duration) -> Result<()> {
        self.pool
            .next()
            .set::<(), _, _>(
                self.keys.auth_code(code_hash),
                grant,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// The code's grant, once: a second call finds nothing.
    pub async fn take_auth_code(&self, code_hash: &str) -> Result<Option<String>> {
        Ok(self
            .pool
            .next()
            .getdel(self.keys.auth_code(code_hash))
            .await?)
    }
}
