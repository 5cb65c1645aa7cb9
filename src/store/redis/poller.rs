//! What the Telegram side shares across replicas: leases (a key holding its owner's id, with a
//! TTL the owner renews; only the owner can renew or release it, checked in a script so check
//! and act are one step), and the updates already seen.

use std::time::Duration;

use fred::{
    prelude::{Expiration, KeysInterface, LuaInterface, SetOptions},
    types::Value,
};

use super::RedisStore;
use crate::error::Result;

/// Renews (ARGV[2] ms) or releases (ARGV[2] = 0) the lease if ARGV[1] owns it.
const KEEP_OR_DROP: &str = r#"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '0' then
  return redis.call('DEL', KEYS[1])
end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"#;

impl RedisStore {
    /// True the first time a Telegram update id is seen (remembered for a day): Telegram may
    /// deliver an update twice, and several replicas may receive it.
    pub(crate) async fn first_sighting(&self, update_id: u32) -> Result<bool> {
        let set: Option<String> = self
            .pool
            .next()
            .set(
                self.keys.update_seen(update_id),
                "1",
                Some(Expiration::EX(86_400)),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(set.is_some())
    }

    /// Takes the lease `key` for `owner` if nobody holds it.
    pub(crate) async fn try_lease(&self, key: &str, owner: &str, ttl: Duration) -> Result<bool> {
        let set: Option<String> = self
            .pool
            .next()
            .set(
                key,
                owner,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        Ok(set.is_some())
    }

    /// Extends the lease if `owner` still holds it; false when it was lost.
    pub(crate) async fn renew_lease(&self, key: &str, owner: &str, ttl: Duration) -> Result<bool> {
        let kept: i64 = self
            .pool
            .next()
            .eval(
                KEEP_OR_DROP,
                vec![key],
                vec![owner.to_string(), ttl.as_millis().to_string()],
            )
            .await?;
        Ok(kept == 1)
    }

    /// Gives the lease up (if `owner` holds it), so a successor need not wait for the TTL.
    pub(crate) async fn release_lease(&self, key: &str, owner: &str) -> Result<()> {
        let _: Value = self
            .pool
            .next()
            .eval(
                KEEP_OR_DROP,
                vec![key],
                vec![owner.to_string(), "0".to_string()],
            )
            .await?;
        Ok(())
    }
}
