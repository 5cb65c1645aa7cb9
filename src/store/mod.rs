//! Redis: the hot, short-lived state (bindings, codes, limits, sessions).
//!
//! Each operation on a hot path is one atomic Lua script, so it costs one round trip and cannot
//! interleave with a concurrent request for the same phone. Keys come from [`Keys`].

mod keys;
mod lock;
mod queue;

use std::time::Duration;

use fred::{
    prelude::{
        Builder, ClientLike, Config as RedisConfig, Expiration, KeysInterface, Pool,
        ReconnectPolicy, SetsInterface, TcpConfig,
    },
    types::scripts::Script,
};

pub use keys::Keys;
pub use queue::{Entry, Queue};

use crate::{
    config::{Config, OtpPolicy},
    domain::{Phone, TelegramId},
    error::{Error, Result},
};

/// How long one Redis command may take before the request fails with `503 unavailable`.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Store {
    pool: Pool,
    keys: Keys,
    binding_ttl: Duration,
    scripts: std::sync::Arc<Scripts>,
}

struct Scripts {
    issue_code: Script,
    issue_telegram_code: Script,
    admit_address: Script,
    store_code: Script,
    verify_code: Script,
    start_session: Script,
    rotate_session: Script,
}

/// Where a phone's codes go: the linked account, and the language it reads (kept beside the
/// binding so that sending a code needs no database query). Stored as `telegram_id[:lang]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub telegram_id: TelegramId,
    pub language: Option<String>,
}

impl Binding {
    pub fn new(telegram_id: TelegramId, language: Option<&str>) -> Self {
        Self {
            telegram_id,
            language: language.map(str::to_string),
        }
    }

    fn encode(&self) -> String {
        match &self.language {
            Some(lang) => format!("{}:{lang}", self.telegram_id),
            None => self.telegram_id.to_string(),
        }
    }

    fn decode(value: &str) -> Option<Self> {
        let (id, lang) = match value.split_once(':') {
            Some((id, lang)) => (id, Some(lang)),
            None => (value, None),
        };
        Some(Self::new(id.parse().ok()?, lang))
    }
}

/// What happened to a code request.
#[derive(Debug, PartialEq, Eq)]
pub enum Issue {
    /// A code was stored for a linked phone; send it there.
    Issued(Binding),
    /// Redis knows no binding; the request is remembered until the phone links.
    Pending,
    /// A per-phone limit (`cooldown`, `hourly_cap` or `locked`): try again after this long.
    Limited {
        retry_after: Duration,
        limit: &'static str,
    },
}

/// The result of checking a code.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    Valid,
    /// Wrong, or no live code. `locked_now`: this guess used up the phone's hourly failures, so
    /// the site's codes are locked from now on (its owner should hear of it, once).
    Invalid {
        locked_now: bool,
    },
    /// Burned by wrong guesses, or the phone is locked after too many failures.
    TooManyAttempts(Duration),
}

/// The limits of a code issued without the site-side ones (see `issue_telegram_code.lua`).
struct TelegramLimits {
    cooldown_key: String,
    sends_key: String,
    cooldown: Duration,
    cap: u32,
    window: Duration,
    /// The `limit` label of `otpgram_rate_limited_total` when the cap is hit.
    cap_label: &'static str,
}

/// How [`Store::store_code`] treats a code request that waited for the phone to link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreMode {
    /// Store the code in any case.
    Always,
    /// Store it only if a request was waiting (and consume the request).
    IfPending,
    /// Store nothing: warm the binding and consume a waiting request (true if there was one).
    Warm,
}

impl StoreMode {
    fn as_arg(self) -> &'static str {
        match self {
            StoreMode::Always => "always",
            StoreMode::IfPending => "if_pending",
            StoreMode::Warm => "warm",
        }
    }
}

/// The result of presenting a refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
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
pub struct SessionPolicy {
    pub refresh_ttl: Duration,
    pub reuse_grace: Duration,
    pub max_age: Duration,
}

fn secs(d: Duration) -> i64 {
    d.as_secs() as i64
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

impl Store {
    /// Connects a small pool of multiplexed connections. Commands fail after two seconds when
    /// Redis is away, and the pool reconnects by itself when it returns.
    pub async fn connect(config: &Config) -> anyhow::Result<Self> {
        let redis_config = RedisConfig::from_url(&config.redis_url)?;
        let pool = Builder::from_config(redis_config)
            .with_connection_config(|c| {
                c.connection_timeout = COMMAND_TIMEOUT;
                c.internal_command_timeout = COMMAND_TIMEOUT;
                c.max_command_attempts = 1;
                c.tcp = TcpConfig {
                    nodelay: Some(true),
                    ..Default::default()
                };
            })
            .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2))
            .build_pool(config.redis_pool_size)?;
        pool.init().await?;
        let store = Self {
            pool,
            keys: Keys::new(config.redis_key_prefix.clone()),
            binding_ttl: config.binding_ttl,
            scripts: std::sync::Arc::new(Scripts {
                issue_code: Script::from_lua(include_str!("issue_code.lua")),
                issue_telegram_code: Script::from_lua(include_str!("issue_telegram_code.lua")),
                admit_address: Script::from_lua(include_str!("admit_address.lua")),
                store_code: Script::from_lua(include_str!("store_code.lua")),
                verify_code: Script::from_lua(include_str!("verify_code.lua")),
                start_session: Script::from_lua(include_str!("start_session.lua")),
                rotate_session: Script::from_lua(include_str!("rotate_session.lua")),
            }),
        };
        Ok(store)
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Answers when Redis does.
    pub async fn ping(&self) -> Result<()> {
        self.pool.next().ping::<()>(None).await?;
        Ok(())
    }

    pub async fn quit(&self) {
        let _ = self.pool.quit().await;
    }

    /// Records or replaces a code for `phone` if the per-phone limits allow it.
    pub async fn issue_code(
        &self,
        phone: &Phone,
        code_hash: &str,
        policy: &OtpPolicy,
    ) -> Result<Issue> {
        let k = &self.keys;
        let (status, value): (String, String) = self
            .scripts
            .issue_code
            .evalsha_with_reload(
                self.pool.next(),
                vec![
                    k.binding(phone),
                    k.code(phone),
                    k.cooldown(phone),
                    k.sends(phone),
                    k.failures(phone),
                    k.pending(phone),
                ],
                vec![
                    code_hash.to_string(),
                    secs(policy.ttl).to_string(),
                    secs(policy.resend_cooldown).to_string(),
                    policy.max_sends_per_hour.to_string(),
                    policy.max_failures_per_hour.to_string(),
                    secs(self.binding_ttl).to_string(),
                ],
            )
            .await?;
        match status.as_str() {
            "ok" => Binding::decode(&value)
                .map(Issue::Issued)
                .ok_or_else(|| Error::Internal(anyhow::anyhow!("unreadable binding"))),
            "pending" => Ok(Issue::Pending),
            limit => Ok(Issue::Limited {
                retry_after: millis(value.parse().unwrap_or(1000)),
                limit: match limit {
                    "cooldown" => "cooldown",
                    "cap" => "hourly_cap",
                    _ => "locked",
                },
            }),
        }
    }

    /// Counts a request from `addr` against its allowance of `per_minute` (a burst of that many,
    /// refilling evenly over the minute): `None` when admitted, else how long to wait.
    pub async fn admit_address(&self, addr: &str, per_minute: u32) -> Result<Option<Duration>> {
        let interval_ms = (60_000 / u64::from(per_minute.max(1))).max(1);
        let wait_ms: i64 = self
            .scripts
            .admit_address
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.address_limit(addr)],
                vec![interval_ms.to_string(), per_minute.to_string()],
            )
            .await?;
        Ok((wait_ms > 0).then(|| millis(wait_ms)))
    }

    /// Records or replaces a code that the phone's owner asked for in Telegram, under the
    /// owner's own cooldown and hourly cap (never the site-side lock); warms the binding.
    pub async fn issue_telegram_code(
        &self,
        phone: &Phone,
        binding: &Binding,
        code_hash: &str,
        policy: &OtpPolicy,
    ) -> Result<Issue> {
        let k = &self.keys;
        let limits = TelegramLimits {
            cooldown_key: k.telegram_cooldown(phone),
            sends_key: k.telegram_sends(phone),
            cooldown: policy.resend_cooldown,
            cap: policy.max_sends_per_hour,
            window: Duration::from_secs(3600),
            cap_label: "hourly_cap",
        };
        Ok(
            match self
                .issue_in_telegram(phone, Some(binding), code_hash, policy.ttl, limits)
                .await?
            {
                Some((retry_after, limit)) => Issue::Limited { retry_after, limit },
                None => Issue::Issued(binding.clone()),
            },
        )
    }

    /// Records or replaces a code an older integration's own bot asked for (it delivers the code
    /// itself): like a code asked for in Telegram, with no cooldown and at most `per_minute` a
    /// minute per account. The binding is left as the link just wrote it. Returns the limit hit,
    /// if any: how long to wait, and its label.
    pub async fn issue_bot_code(
        &self,
        phone: &Phone,
        code_hash: &str,
        ttl: Duration,
        per_minute: u32,
    ) -> Result<Option<(Duration, &'static str)>> {
        let k = &self.keys;
        let limits = TelegramLimits {
            cooldown_key: k.telegram_cooldown(phone),
            sends_key: k.bot_codes(phone),
            cooldown: Duration::ZERO,
            cap: per_minute,
            window: Duration::from_secs(60),
            cap_label: "minute_cap",
        };
        self.issue_in_telegram(phone, None, code_hash, ttl, limits)
            .await
    }

    async fn issue_in_telegram(
        &self,
        phone: &Phone,
        binding: Option<&Binding>,
        code_hash: &str,
        ttl: Duration,
        limits: TelegramLimits,
    ) -> Result<Option<(Duration, &'static str)>> {
        let k = &self.keys;
        let (status, value): (String, i64) = self
            .scripts
            .issue_telegram_code
            .evalsha_with_reload(
                self.pool.next(),
                vec![
                    k.binding(phone),
                    k.code(phone),
                    limits.cooldown_key,
                    limits.sends_key,
                ],
                vec![
                    code_hash.to_string(),
                    secs(ttl).to_string(),
                    secs(limits.cooldown).to_string(),
                    limits.cap.to_string(),
                    binding.map(Binding::encode).unwrap_or_default(),
                    secs(self.binding_ttl).to_string(),
                    secs(limits.window).to_string(),
                ],
            )
            .await?;
        Ok(match status.as_str() {
            "ok" => None,
            "cap" => Some((millis(value), limits.cap_label)),
            _ => Some((millis(value), "cooldown")),
        })
    }

    /// Forgets a phone's live code and any request waiting for it to link (the phone changed
    /// hands: a code meant for the previous owner must not log anyone in).
    pub async fn forget_codes(&self, phone: &Phone) -> Result<()> {
        let k = &self.keys;
        self.pool
            .next()
            .del::<(), _>(vec![k.code(phone), k.pending(phone)])
            .await?;
        Ok(())
    }

    /// Stores a code for a phone (and warms its binding; `None` leaves it alone), as `mode`
    /// says.
    pub async fn store_code(
        &self,
        phone: &Phone,
        binding: Option<&Binding>,
        code_hash: &str,
        ttl: Duration,
        mode: StoreMode,
    ) -> Result<bool> {
        let k = &self.keys;
        let stored: i64 = self
            .scripts
            .store_code
            .evalsha_with_reload(
                self.pool.next(),
                vec![k.binding(phone), k.code(phone), k.pending(phone)],
                vec![
                    code_hash.to_string(),
                    secs(ttl).to_string(),
                    binding.map(Binding::encode).unwrap_or_default(),
                    secs(self.binding_ttl).to_string(),
                    mode.as_arg().to_string(),
                ],
            )
            .await?;
        Ok(stored == 1)
    }

    /// Checks `code_hash` against the phone's current code and consumes it when it matches.
    pub async fn verify_code(
        &self,
        phone: &Phone,
        code_hash: &str,
        policy: &OtpPolicy,
    ) -> Result<Check> {
        let k = &self.keys;
        let (status, value, locked_now): (String, i64, i64) = self
            .scripts
            .verify_code
            .evalsha_with_reload(
                self.pool.next(),
                vec![k.code(phone), k.failures(phone)],
                vec![
                    code_hash.to_string(),
                    policy.max_attempts.to_string(),
                    policy.max_failures_per_hour.to_string(),
                ],
            )
            .await?;
        Ok(match status.as_str() {
            "ok" => Check::Valid,
            "invalid" => Check::Invalid {
                locked_now: locked_now == 1,
            },
            _ => Check::TooManyAttempts(millis(value)),
        })
    }

    /// Where a phone's codes go, as Redis knows it.
    pub async fn binding(&self, phone: &Phone) -> Result<Option<Binding>> {
        let value: Option<String> = self.pool.next().get(self.keys.binding(phone)).await?;
        Ok(value.as_deref().and_then(Binding::decode))
    }

    /// Links `phone` as `binding` says and unlinks the account's previous phone, if any.
    pub async fn bind(
        &self,
        phone: &Phone,
        binding: &Binding,
        previous: Option<&Phone>,
    ) -> Result<()> {
        let client = self.pool.next();
        client
            .set::<(), _, _>(
                self.keys.binding(phone),
                binding.encode(),
                Some(Expiration::EX(secs(self.binding_ttl))),
                None,
                false,
            )
            .await?;
        if let Some(previous) = previous {
            client.del::<(), _>(self.keys.binding(previous)).await?;
        }
        Ok(())
    }

    /// True the first time a Telegram update id is seen (remembered for a day): Telegram may
    /// deliver an update twice, and several replicas may receive it.
    pub async fn first_sighting(&self, update_id: u32) -> Result<bool> {
        let set: Option<String> = self
            .pool
            .next()
            .set(
                self.keys.update_seen(update_id),
                "1",
                Some(Expiration::EX(86_400)),
                Some(fred::prelude::SetOptions::NX),
                false,
            )
            .await?;
        Ok(set.is_some())
    }

    /// Starts a session whose first refresh token has id `token_id`; it lives `ttl` (renewed by
    /// each rotation) and never past `max_age` from now.
    pub async fn start_session(
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
    pub async fn rotate_session(
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
        Ok(match (status.as_str(), token_id, ends_ms) {
            ("ok" | "again", Some(token_id), Some(ends_ms)) => Rotation::Rotated {
                token_id,
                ends_at: ends_ms / 1000,
            },
            ("reused", ..) => Rotation::Reused,
            _ => Rotation::Revoked,
        })
    }

    pub async fn session_exists(&self, user_id: &str, session_id: &str) -> Result<bool> {
        Ok(self
            .pool
            .next()
            .exists::<i64, _>(self.keys.session(user_id, session_id))
            .await?
            == 1)
    }

    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<()> {
        let client = self.pool.next();
        let key = self.keys.session(user_id, session_id);
        client.del::<(), _>(&key).await?;
        client
            .srem::<(), _, _>(self.keys.user_sessions(user_id), key)
            .await?;
        Ok(())
    }

    /// Ends every session of a user at once.
    pub async fn end_user_sessions(&self, user_id: &str) -> Result<()> {
        let client = self.pool.next();
        let list = self.keys.user_sessions(user_id);
        let mut keys: Vec<String> = client.smembers(&list).await?;
        keys.push(list);
        // One DEL: every key has the user's hash tag, so a cluster serves them from one slot.
        client.del::<(), _>(keys).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Binding;

    #[test]
    fn bindings_carry_the_language_when_known() {
        for binding in [Binding::new(42, Some("ru")), Binding::new(42, None)] {
            assert_eq!(Binding::decode(&binding.encode()), Some(binding.clone()));
        }
        // Bindings written before languages were kept still read.
        assert_eq!(Binding::decode("42"), Some(Binding::new(42, None)));
        assert_eq!(Binding::decode("x"), None);
    }
}
