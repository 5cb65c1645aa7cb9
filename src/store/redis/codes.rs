//! Codes in Redis: issuing under the per-phone limits, checking, forgetting. Each is one Lua
//! script (one round trip, atomic per phone).

use std::time::Duration;

use fred::prelude::KeysInterface;

use super::{
    RedisStore,
    bindings::{decode, encode},
    millis, secs, unexpected,
};
use crate::{
    config::OtpPolicy,
    domain::{Binding, Phone},
    error::Result,
};

/// What happened to a code request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Issue {
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
pub(crate) enum Check {
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

/// How [`RedisStore::store_code`] treats a code request that waited for the phone to link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StoreMode {
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

impl RedisStore {
    /// Records or replaces a code for `phone` if the per-phone limits allow it.
    pub(crate) async fn issue_code(
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
        let wait = || {
            value
                .parse()
                .map(millis)
                .map_err(|_| unexpected("issue_code", (&status, &value)))
        };
        let limited = |limit| {
            Ok(Issue::Limited {
                retry_after: wait()?,
                limit,
            })
        };
        match status.as_str() {
            "ok" => decode(&value)
                .map(Issue::Issued)
                .ok_or_else(|| unexpected("issue_code", &value)),
            "pending" => Ok(Issue::Pending),
            "cooldown" => limited("cooldown"),
            "cap" => limited("hourly_cap"),
            "locked" => limited("locked"),
            _ => Err(unexpected("issue_code", &status)),
        }
    }

    /// Records or replaces a code that the phone's owner asked for in Telegram, under the
    /// owner's own cooldown and hourly cap (never the site-side lock); warms the binding.
    pub(crate) async fn issue_telegram_code(
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
    pub(crate) async fn issue_bot_code(
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
                    binding.map(encode).unwrap_or_default(),
                    secs(self.binding_ttl).to_string(),
                    secs(limits.window).to_string(),
                ],
            )
            .await?;
        match status.as_str() {
            "ok" => Ok(None),
            "cap" => Ok(Some((millis(value), limits.cap_label))),
            "cooldown" => Ok(Some((millis(value), "cooldown"))),
            _ => Err(unexpected("issue_telegram_code", &status)),
        }
    }

    /// Forgets a phone's live code and any request waiting for it to link (the phone changed
    /// hands: a code meant for the previous owner must not log anyone in).
    pub(crate) async fn forget_codes(&self, phone: &Phone) -> Result<()> {
        let k = &self.keys;
        self.pool
            .next()
            .del::<(), _>(vec![k.code(phone), k.pending(phone)])
            .await?;
        Ok(())
    }

    /// Stores a code for a phone (and warms its binding; `None` leaves it alone), as `mode`
    /// says.
    pub(crate) async fn store_code(
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
                    binding.map(encode).unwrap_or_default(),
                    secs(self.binding_ttl).to_string(),
                    mode.as_arg().to_string(),
                ],
            )
            .await?;
        Ok(stored == 1)
    }

    /// Checks `code_hash` against the phone's current code and consumes it when it matches.
    pub(crate) async fn verify_code(
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
        match status.as_str() {
            "ok" => Ok(Check::Valid),
            "invalid" => Ok(Check::Invalid {
                locked_now: locked_now == 1,
            }),
            "burned" | "locked" => Ok(Check::TooManyAttempts(millis(value))),
            _ => Err(unexpected("verify_code", &status)),
        }
    }
}
