//! `auth`: how sessions are signed, how long their tokens live, and the older integrations'
//! shared secret and limits (`legacy`).

use std::time::Duration;

use super::{AppEnv, ConfigError, Secret, env::Raw, invalid, seconds};

#[derive(Clone, Debug)]
pub struct AuthConfig {
    pub jwt_secret: Secret,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a rotated-out refresh token is still accepted (two tabs refreshing at once).
    pub refresh_reuse_grace: Duration,
    /// A session's absolute lifetime: refreshing never extends it past this.
    pub session_max_age: Duration,
}

impl AuthConfig {
    pub(super) fn from_raw(raw: &Raw, app_env: AppEnv) -> Result<Self, ConfigError> {
        let jwt_secret = match raw.jwt_secret.as_deref() {
            Some(s) if s.len() >= 32 => Secret::new(s),
            Some(_) => return Err(invalid("JWT_SECRET", "must be at least 32 bytes")),
            None if app_env == AppEnv::Production => {
                return Err(invalid("JWT_SECRET", "is required when APP_ENV=production"));
            }
            // Development without a secret: a random one, so sessions end with the process.
            None => Secret::new(crate::crypto::random_token(48)),
        };
        Ok(Self {
            jwt_secret,
            access_ttl: seconds("JWT_ACCESS_TTL_SECONDS", raw.jwt_access_ttl_seconds, 30)?,
            refresh_ttl: seconds("JWT_REFRESH_TTL_SECONDS", raw.jwt_refresh_ttl_seconds, 60)?,
            refresh_reuse_grace: Duration::from_secs(raw.jwt_refresh_reuse_grace_seconds),
            session_max_age: seconds("SESSION_MAX_AGE_SECONDS", raw.session_max_age_seconds, 60)?,
        })
    }
}

/// The older integration shapes.
#[derive(Clone, Debug)]
pub struct LegacyConfig {
    /// The secret older integrations' bots send (`X-Bot-Secret`); their adapters are off without
    /// it.
    pub bot_secret: Option<Secret>,
    /// How long codes of the `/register` + `/verify` adapter live.
    pub verify_ttl: Duration,
    /// Codes an older integration's own bot may ask for per account and minute (`otp/create`).
    pub bot_codes_per_minute: u32,
}

impl LegacyConfig {
    pub(super) fn from_raw(raw: &Raw) -> Result<Self, ConfigError> {
        Ok(Self {
            bot_secret: match raw.bot_secret.as_deref().filter(|t| !t.is_empty()) {
                Some(s) if s.len() < 16 => {
                    return Err(invalid("BOT_SECRET", "must be at least 16 characters"));
                }
                other => other.map(Secret::new),
            },
            verify_ttl: seconds(
                "LEGACY_VERIFY_TTL_SECONDS",
                raw.legacy_verify_ttl_seconds,
                1,
            )?,
            bot_codes_per_minute: match raw.legacy_bot_codes_per_minute {
                0 => return Err(invalid("LEGACY_BOT_CODES_PER_MINUTE", "must be at least 1")),
                n => n,
            },
        })
    }
}
