//! The hosted login page's own session: the one thing a sign-in on the page creates. It lives in
//! one cookie (`otpgram_login`, HttpOnly, SameSite=Lax) and in Redis under the cookie's keyed
//! hash, for `LOGIN_SESSION_TTL_SECONDS`. Every shop's client of the deployment reuses it
//! (single sign-on): `prompt=none`, `prompt=login` and `max_age` are judged against it, its
//! `auth_time` and method are the ID token's, and logout ends it.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use crate::{
    core::session::Method,
    crypto::{CodeHasher, random_token},
    error::{Error, Result},
    store::RedisStore,
};

/// Codes one login session may be given per [`CODE_WINDOW`]: far more than any customer
/// logging in to a few shops needs, and far fewer than a script filling Redis would want.
pub(crate) const CODES_PER_WINDOW: u64 = 30;
pub(crate) const CODE_WINDOW: Duration = Duration::from_secs(600);

/// A customer logged in on the hosted page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LoginSession {
    pub user_id: Uuid,
    pub method: Method,
    /// When the customer proved who they are (Unix seconds): OpenID Connect's `auth_time`.
    pub auth_time: i64,
}

impl LoginSession {
    /// Whether a client asking for `max_age` seconds at most may use it.
    pub(crate) fn younger_than(&self, max_age: Option<u64>) -> bool {
        max_age.is_none_or(|max| Utc::now().timestamp() - self.auth_time <= max as i64)
    }
}

/// A session opened: the cookie's value, and how long it lives.
pub(crate) struct Opened {
    pub token: String,
    pub ttl: Duration,
    pub session: LoginSession,
}

/// The login sessions: what the hosted page opens, finds and ends. Owns its handles: Redis, the
/// keyed hash its keys are made with, and how long a session lives.
#[derive(Clone)]
pub(crate) struct LoginSessions {
    redis: RedisStore,
    hasher: CodeHasher,
    ttl: Duration,
}

impl LoginSessions {
    pub(crate) fn new(redis: RedisStore, hasher: CodeHasher, ttl: Duration) -> Self {
        Self { redis, hasher, ttl }
    }

    fn hash(&self, token: &str) -> String {
        self.hasher.secret("login session", token)
    }

    /// Opens a session for `user_id`, who just proved who they are by `method`.
    pub(crate) async fn open(&self, user_id: Uuid, method: Method) -> Result<Opened> {
        let token = random_token(32);
        let session = LoginSession {
            user_id,
            method,
            auth_time: Utc::now().timestamp(),
        };
        let record = format!("{user_id}|{}|{}", method.as_str(), session.auth_time);
        let ttl = self.ttl;
        self.redis
            .put_login_session(&self.hash(&token), &record, ttl)
            .await?;
        Ok(Opened {
            token,
            ttl,
            session,
        })
    }

    /// The session the cookie names, while it lives.
    pub(crate) async fn find(&self, token: &str) -> Result<Option<LoginSession>> {
        let Some(record) = self.redis.login_session(&self.hash(token)).await? else {
            return Ok(None);
        };
        let mut parts = record.split('|');
        let parsed = (|| {
            let user_id = Uuid::parse_str(parts.next()?).ok()?;
            let method = match parts.next()? {
                "otp" => Method::Otp,
                "telegram" => Method::Telegram,
                _ => return None,
            };
            let auth_time = parts.next()?.parse().ok()?;
            Some(LoginSession {
                user_id,
                method,
                auth_time,
            })
        })();
        let session = parsed
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("a malformed login session record")))?;
        let ended = self
            .redis
            .login_sessions_ended(&session.user_id.to_string())
            .await?;
        if ended.is_some_and(|at| session.auth_time <= at) {
            return Ok(None);
        }
        Ok(Some(session))
    }

    /// Ends every login session of the user at once (their phone changed hands): the browsers
    /// signed in as them get no more codes.
    pub(crate) async fn end_all(&self, user_id: Uuid) -> Result<()> {
        self.redis
            .end_login_sessions(&user_id.to_string(), Utc::now().timestamp(), self.ttl)
            .await
    }

    /// Ends the session (logout, `prompt=login`, a `max_age` it is too old for).
    pub(crate) async fn end(&self, token: &str) -> Result<()> {
        self.redis.end_login_session(&self.hash(token)).await
    }

    /// Counts a code given to the session; refused once it has had [`CODES_PER_WINDOW`].
    pub(crate) async fn admit_code(&self, token: &str) -> Result<()> {
        let count = self
            .redis
            .count_session_code(&self.hash(token), CODE_WINDOW)
            .await?;
        if count > CODES_PER_WINDOW {
            crate::meters::rate_limited("session_codes");
            return Err(Error::Throttled {
                retry_after: CODE_WINDOW,
            });
        }
        Ok(())
    }
}
