//! A copy of each user's record in Redis, under the user's hash tag: the reads on a request path
//! (`GET /me`, the older shapes' `me`, OpenID Connect's token and userinfo) take it from here
//! and never ask SQL. SQL stays the truth; every write there is followed by one here, and a
//! copy is replaced only by a newer row (`lua/remember_user.lua`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use fred::prelude::HashesInterface;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{RedisStore, secs, unexpected};
use crate::{
    domain::{Lang, Phone, TelegramId, User},
    error::Result,
};

/// The record as it is kept: short field names, the phone as stored.
#[derive(Serialize, Deserialize)]
struct Copy {
    p: String,
    t: Option<i64>,
    v: bool,
    l: Option<Lang>,
    f: Option<String>,
    s: Option<String>,
    n: Option<String>,
    u: Option<String>,
    c: DateTime<Utc>,
    va: Option<DateTime<Utc>>,
    ll: Option<DateTime<Utc>>,
    up: DateTime<Utc>,
}

impl Copy {
    fn of(user: &User) -> Self {
        Self {
            p: user.phone.as_str().to_string(),
            t: user.telegram_id.map(|id| id.0),
            v: user.is_verified,
            l: user.language,
            f: user.first_name.clone(),
            s: user.last_name.clone(),
            n: user.full_name.clone(),
            u: user.username.clone(),
            c: user.created_at,
            va: user.verified_at,
            ll: user.last_login_at,
            up: user.updated_at,
        }
    }

    fn into_user(self, id: Uuid) -> User {
        User {
            id,
            phone: Phone::from_store(self.p),
            telegram_id: self.t.map(TelegramId),
            is_verified: self.v,
            language: self.l,
            first_name: self.f,
            last_name: self.s,
            full_name: self.n,
            username: self.u,
            created_at: self.c,
            verified_at: self.va,
            last_login_at: self.ll,
            updated_at: self.up,
        }
    }
}

impl RedisStore {
    /// Keeps `user`'s record for `ttl`, unless a newer one is already kept.
    pub(crate) async fn remember_user(&self, user: &User, ttl: Duration) -> Result<()> {
        let record = serde_json::to_string(&Copy::of(user))
            .map_err(|err| crate::error::Error::Internal(err.into()))?;
        let answer: i64 = self
            .scripts
            .remember_user
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.user(&user.id.to_string())],
                vec![
                    user.updated_at.timestamp_micros().to_string(),
                    record,
                    secs(ttl).max(1).to_string(),
                ],
            )
            .await?;
        match answer {
            0 | 1 => Ok(()),
            other => Err(unexpected("remember_user", other)),
        }
    }

    /// The kept record of user `id`, if there is one. A record this build cannot read (written
    /// by another version) counts as none.
    pub(crate) async fn remembered_user(&self, id: Uuid) -> Result<Option<User>> {
        let record: Option<String> = self
            .pool
            .next()
            .hget(self.keys.user(&id.to_string()), "d")
            .await?;
        Ok(record
            .and_then(|record| serde_json::from_str::<Copy>(&record).ok())
            .map(|copy| copy.into_user(id)))
    }
}
