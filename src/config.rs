//! Typed configuration, read from the environment in one place.
//!
//! `Config::from_env()` is what `main` calls; `Config::from_vars()` takes the same variables as a
//! list, so tests go through exactly the same parsing and validation without touching the
//! process environment. A wrong or missing value is reported with the variable's name.

use std::{collections::HashMap, fmt, net::SocketAddr, time::Duration};

use serde::Deserialize;
use url::Url;

/// A value that must never reach a log: `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The SQL connection pool.
#[derive(Clone, Debug)]
pub struct DatabasePool {
    /// Connections per process (default 16 for PostgreSQL, 8 for SQLite).
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// How long a request waits for a free connection before `503 unavailable`.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: statements running longer are cancelled.
    pub statement_timeout: Option<Duration>,
}

/// How updates reach the bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelegramMode {
    /// One replica long-polls `getUpdates` (the others wait for its lease).
    Polling,
    /// Telegram posts updates to `POST /telegram/webhook` on any replica.
    Webhook {
        /// The public HTTPS URL Telegram posts to.
        url: Url,
        /// Sent back by Telegram in `X-Telegram-Bot-Api-Secret-Token`.
        secret: Secret,
    },
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// For people: coloured, one line per event.
    Text,
    /// For log pipelines: one JSON object per line.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppEnv {
    Development,
    Production,
}

/// Everything the service needs to start, validated.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub app_env: AppEnv,
    /// `LOG_FORMAT`; JSON by default in production.
    pub log_format: LogFormat,
    pub redis_url: String,
    pub redis_key_prefix: String,
    /// `REDIS_POOL_SIZE`: multiplexed connections to Redis (per cluster node).
    pub redis_pool_size: usize,
    pub database_url: String,
    pub database_pool: DatabasePool,
    /// `None` turns the bot off (development only): codes are then written to the log.
    pub telegram_bot_token: Option<Secret>,
    pub telegram_api_url: Url,
    /// How Telegram's updates reach the bot.
    pub telegram_mode: TelegramMode,
    /// How long one `getUpdates` long poll waits for news.
    pub telegram_poll_timeout: Duration,
    pub jwt_secret: Secret,
    pub jwt_access_ttl: Duration,
    pub jwt_refresh_ttl: Duration,
    /// How long a rotated-out refresh token is still accepted (two tabs refreshing at once).
    pub refresh_reuse_grace: Duration,
    /// A session's absolute lifetime: refreshing never extends it past this.
    pub session_max_age: Duration,
    pub otp: OtpPolicy,
    /// Requests per minute per client IP on `/api/v1/otp/*`; `0` turns the limit off.
    pub rate_limit_per_ip_per_minute: u32,
    /// Proxies in front of the service that append to `X-Forwarded-For` (0: use the peer
    /// address). The client is the entry this many hops from the right.
    pub trusted_proxy_hops: u32,
    /// Digits only, e.g. `998`.
    pub default_country_code: Option<String>,
    pub cors_allowed_origins: Vec<String>,
    pub site_login_url: Option<String>,
    /// The bot's language for users whose own is unknown or unsupported.
    pub default_language: crate::telegram::texts::Lang,
    /// The secret older integrations' bots send (`X-Bot-Secret`); their adapters are off without
    /// it.
    pub bot_secret: Option<Secret>,
    /// How long codes of the `/register` + `/verify` adapter live.
    pub legacy_verify_ttl: Duration,
    /// Codes an older integration's own bot may ask for per account and minute (`otp/create`).
    pub legacy_bot_codes_per_minute: u32,
    /// When set, `GET /metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// Keys the shop backend authenticates with (several, so a key can be rotated).
    pub service_api_keys: Vec<Secret>,
    pub cookie_secure: bool,
    pub notify: NotifyPolicy,
    /// Numbers with a fixed code for app-store review (`TEST_PHONES`), until a date.
    pub test_phones: Option<TestPhones>,
    /// How long a phone ↔ Telegram binding stays hot in Redis after its last use.
    pub binding_ttl: Duration,
    /// How long a shop's owner link works if nobody uses it.
    pub shop_link_ttl: Duration,
    pub request_timeout: Duration,
}

/// How codes are issued, guessed and limited.
#[derive(Clone, Debug)]
pub struct OtpPolicy {
    pub ttl: Duration,
    pub length: u32,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_sends_per_hour: u32,
    pub max_failures_per_hour: u32,
}

/// Review numbers: each accepts its fixed code, without a Telegram message, until `valid_until`.
/// They pass through the same limits as every phone.
#[derive(Clone)]
pub struct TestPhones {
    /// E.164 phone → fixed code.
    pub codes: HashMap<String, Secret>,
    pub valid_until: chrono::DateTime<chrono::Utc>,
}

impl fmt::Debug for TestPhones {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPhones")
            .field("count", &self.codes.len())
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

impl TestPhones {
    /// The fixed code of `phone`, while the list is valid.
    pub fn code_for(&self, phone: &crate::domain::Phone) -> Option<&Secret> {
        (chrono::Utc::now() < self.valid_until)
            .then(|| self.codes.get(phone.as_str()))
            .flatten()
    }
}

/// How order notifications are paced and retried.
#[derive(Clone, Debug)]
pub struct NotifyPolicy {
    /// Messages per second across all chats (Telegram: about 30; paid broadcasts up to 1000).
    pub global_per_second: u32,
    /// Messages per second to one private chat.
    pub chat_per_second: u32,
    /// Messages per minute to one group.
    pub group_per_minute: u32,
    /// How long failing deliveries are retried before they are given up.
    pub max_retry: Duration,
    /// A queue entry idle this long belongs to a dead worker and is taken over.
    pub reclaim_idle: Duration,
    /// How long a worker owns a delivery it is sending. Longer than one call to Telegram can
    /// take (teloxide: 17 s timeout, plus 10 s it waits after a 5xx), or a slow send could be
    /// taken over and sent twice; a worker that died mid-send is replaced after it.
    pub send_lease: Duration,
    /// How long a shutdown waits for claimed sends to finish and be recorded.
    pub drain: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn invalid(var: &str, why: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{var} {why}"))
}

/// The variables as read, before validation. Field names are the variables, lower-cased.
#[derive(Deserialize)]
struct Raw {
    log_format: Option<LogFormat>,
    bind_addr: Option<String>,
    port: Option<u16>,
    app_env: Option<AppEnv>,
    redis_url: Option<String>,
    #[serde(default = "default_prefix")]
    redis_key_prefix: String,
    #[serde(default = "default_redis_pool_size")]
    redis_pool_size: usize,
    database_url: Option<String>,
    database_max_connections: Option<u32>,
    #[serde(default = "default_db_connect_timeout")]
    database_connect_timeout_seconds: u64,
    #[serde(default = "default_db_acquire_timeout")]
    database_acquire_timeout_seconds: u64,
    database_statement_timeout_seconds: Option<u64>,
    telegram_bot_token: Option<String>,
    telegram_api_url: Option<String>,
    telegram_mode: Option<String>,
    telegram_webhook_url: Option<String>,
    telegram_webhook_secret: Option<String>,
    #[serde(default = "default_poll_timeout")]
    telegram_poll_timeout_seconds: u64,
    jwt_secret: Option<String>,
    #[serde(default = "default_access_ttl")]
    jwt_access_ttl_seconds: u64,
    #[serde(default = "default_refresh_ttl")]
    jwt_refresh_ttl_seconds: u64,
    #[serde(default = "default_reuse_grace")]
    jwt_refresh_reuse_grace_seconds: u64,
    #[serde(default = "default_session_max_age")]
    session_max_age_seconds: u64,
    #[serde(default = "default_otp_ttl")]
    otp_ttl_seconds: u64,
    #[serde(default = "default_otp_length")]
    otp_length: u32,
    #[serde(default = "default_max_attempts")]
    otp_max_attempts: u32,
    #[serde(default = "default_cooldown")]
    otp_resend_cooldown_seconds: u64,
    #[serde(default = "default_sends_per_hour")]
    otp_max_sends_per_hour: u32,
    #[serde(default = "default_failures_per_hour")]
    otp_max_failures_per_hour: u32,
    #[serde(default = "default_ip_limit")]
    rate_limit_per_ip_per_minute: u32,
    #[serde(default)]
    trust_proxy_headers: bool,
    trusted_proxy_hops: Option<u32>,
    default_country_code: Option<String>,
    cors_allowed_origins: Option<String>,
    site_login_url: Option<String>,
    service_api_key: Option<String>,
    metrics_token: Option<String>,
    bot_secret: Option<String>,
    default_language: Option<String>,
    #[serde(default = "default_legacy_ttl")]
    legacy_verify_ttl_seconds: u64,
    #[serde(default = "default_legacy_bot_codes")]
    legacy_bot_codes_per_minute: u32,
    service_api_keys: Option<String>,
    #[serde(default = "yes")]
    cookie_secure: bool,
    #[serde(default = "default_global_rate")]
    telegram_global_rate_per_second: u32,
    #[serde(default = "default_chat_rate")]
    telegram_chat_rate_per_second: u32,
    #[serde(default = "default_group_rate")]
    telegram_group_rate_per_minute: u32,
    #[serde(default = "default_max_retry")]
    notify_max_retry_seconds: u64,
    #[serde(default = "default_reclaim_idle")]
    notify_reclaim_idle_seconds: u64,
    #[serde(default = "default_send_lease")]
    notify_send_lease_seconds: u64,
    #[serde(default = "default_drain")]
    notify_drain_seconds: u64,
    #[serde(default = "default_binding_ttl")]
    binding_ttl_seconds: u64,
    #[serde(default = "default_shop_link_ttl")]
    shop_link_ttl_seconds: u64,
    test_phones: Option<String>,
    test_phones_valid_until: Option<String>,
    #[serde(default = "default_request_timeout")]
    request_timeout_seconds: u64,
}

fn default_redis_pool_size() -> usize {
    4
}

fn default_prefix() -> String {
    "otpgram:".into()
}
fn default_db_connect_timeout() -> u64 {
    5
}
fn default_db_acquire_timeout() -> u64 {
    3
}
fn default_poll_timeout() -> u64 {
    10
}
fn default_access_ttl() -> u64 {
    3600
}
fn default_refresh_ttl() -> u64 {
    604_800
}
fn default_reuse_grace() -> u64 {
    10
}
fn default_session_max_age() -> u64 {
    30 * 24 * 3600
}
fn default_otp_ttl() -> u64 {
    600
}
fn default_otp_length() -> u32 {
    6
}
fn default_max_attempts() -> u32 {
    5
}
fn default_cooldown() -> u64 {
    60
}
fn default_sends_per_hour() -> u32 {
    5
}
fn default_failures_per_hour() -> u32 {
    10
}
fn default_ip_limit() -> u32 {
    60
}
fn yes() -> bool {
    true
}
fn default_global_rate() -> u32 {
    30
}
fn default_chat_rate() -> u32 {
    1
}
fn default_group_rate() -> u32 {
    20
}
fn default_max_retry() -> u64 {
    3600
}
fn default_reclaim_idle() -> u64 {
    30
}
fn default_legacy_ttl() -> u64 {
    60
}
fn default_legacy_bot_codes() -> u32 {
    10
}
fn default_send_lease() -> u64 {
    60
}
fn default_drain() -> u64 {
    10
}
fn default_binding_ttl() -> u64 {
    30 * 24 * 3600
}
fn default_shop_link_ttl() -> u64 {
    7 * 24 * 3600
}
fn default_request_timeout() -> u64 {
    10
}

pub const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";
const DEFAULT_DATABASE_URL: &str = "sqlite://otpgram.sqlite?mode=rwc";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

impl Config {
    /// Reads `.env` (if present) and the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is not silently half-read.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => return Err(ConfigError(format!(".env: {e}"))),
        }
        Self::from_source(None)
    }

    /// Builds a configuration from these variables only (the process environment is ignored).
    pub fn from_vars<K: Into<String>, V: Into<String>>(
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        let map = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect::<HashMap<String, String>>();
        Self::from_source(Some(map))
    }

    fn from_source(source: Option<HashMap<String, String>>) -> Result<Self, ConfigError> {
        let env = config::Environment::default()
            .try_parsing(false)
            .ignore_empty(true)
            .source(source.map(|m| m.into_iter().collect()));
        let raw: Raw = config::Config::builder()
            .add_source(env)
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(describe)?;
        raw.validate()
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

/// Turns config-rs's message into one that names the environment variable.
fn describe(err: config::ConfigError) -> ConfigError {
    match err {
        config::ConfigError::Type {
            key: Some(key),
            unexpected,
            expected,
            ..
        } => invalid(
            &key.to_uppercase(),
            format!("has an invalid value ({unexpected}): expected {expected}"),
        ),
        other => ConfigError(
            other
                .to_string()
                .replace("missing field", "missing variable"),
        ),
    }
}

fn seconds(var: &str, value: u64, min: u64) -> Result<Duration, ConfigError> {
    if value < min {
        return Err(invalid(var, format!("must be at least {min}")));
    }
    Ok(Duration::from_secs(value))
}

impl Raw {
    fn validate(self) -> Result<Config, ConfigError> {
        let app_env = self.app_env.unwrap_or(AppEnv::Development);
        let bind_addr = match (self.bind_addr, self.port) {
            (Some(addr), _) => addr
                .parse()
                .map_err(|_| invalid("BIND_ADDR", "must be host:port, e.g. 0.0.0.0:8080"))?,
            (None, Some(port)) => SocketAddr::from(([0, 0, 0, 0], port)),
            (None, None) => SocketAddr::from(([0, 0, 0, 0], 8080)),
        };

        let telegram_bot_token = self.telegram_bot_token.map(Secret::new);
        if telegram_bot_token.is_none() && app_env == AppEnv::Production {
            return Err(invalid(
                "TELEGRAM_BOT_TOKEN",
                "is required when APP_ENV=production",
            ));
        }
        let telegram_api_url = self
            .telegram_api_url
            .as_deref()
            .unwrap_or(DEFAULT_TELEGRAM_API_URL)
            .parse::<Url>()
            .map_err(|e| invalid("TELEGRAM_API_URL", format!("is not a URL: {e}")))?;

        let telegram_mode = match self.telegram_mode.as_deref().unwrap_or("polling") {
            "polling" => TelegramMode::Polling,
            "webhook" => {
                let url = self
                    .telegram_webhook_url
                    .ok_or_else(|| {
                        invalid(
                            "TELEGRAM_WEBHOOK_URL",
                            "is required with TELEGRAM_MODE=webhook",
                        )
                    })?
                    .parse::<Url>()
                    .map_err(|e| invalid("TELEGRAM_WEBHOOK_URL", format!("is not a URL: {e}")))?;
                if url.scheme() != "https" {
                    return Err(invalid("TELEGRAM_WEBHOOK_URL", "must be an https:// URL"));
                }
                let secret = self.telegram_webhook_secret.ok_or_else(|| {
                    invalid(
                        "TELEGRAM_WEBHOOK_SECRET",
                        "is required with TELEGRAM_MODE=webhook",
                    )
                })?;
                let allowed = secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if secret.is_empty() || secret.len() > 256 || !allowed {
                    return Err(invalid(
                        "TELEGRAM_WEBHOOK_SECRET",
                        "must be 1 to 256 characters of A-Z a-z 0-9 _ -",
                    ));
                }
                TelegramMode::Webhook {
                    url,
                    secret: Secret::new(secret),
                }
            }
            other => {
                return Err(invalid(
                    "TELEGRAM_MODE",
                    format!("must be polling or webhook, not {other:?}"),
                ));
            }
        };

        let jwt_secret = match self.jwt_secret {
            Some(s) if s.len() >= 32 => Secret::new(s),
            Some(_) => return Err(invalid("JWT_SECRET", "must be at least 32 bytes")),
            None if app_env == AppEnv::Production => {
                return Err(invalid("JWT_SECRET", "is required when APP_ENV=production"));
            }
            // Development without a secret: a random one, so sessions end with the process.
            None => Secret::new(crate::crypto::random_token(48)),
        };

        if !(4..=8).contains(&self.otp_length) {
            return Err(invalid("OTP_LENGTH", "must be between 4 and 8"));
        }
        if self.otp_max_attempts == 0 {
            return Err(invalid("OTP_MAX_ATTEMPTS", "must be at least 1"));
        }
        if self.otp_max_sends_per_hour == 0 {
            return Err(invalid("OTP_MAX_SENDS_PER_HOUR", "must be at least 1"));
        }
        if self.otp_max_failures_per_hour == 0 {
            return Err(invalid("OTP_MAX_FAILURES_PER_HOUR", "must be at least 1"));
        }
        let otp = OtpPolicy {
            ttl: seconds("OTP_TTL_SECONDS", self.otp_ttl_seconds, 1)?,
            length: self.otp_length,
            max_attempts: self.otp_max_attempts,
            resend_cooldown: seconds(
                "OTP_RESEND_COOLDOWN_SECONDS",
                self.otp_resend_cooldown_seconds,
                0,
            )?,
            max_sends_per_hour: self.otp_max_sends_per_hour,
            max_failures_per_hour: self.otp_max_failures_per_hour,
        };

        let default_country_code = match self.default_country_code {
            Some(cc) => {
                let cc = cc.trim().trim_start_matches('+').to_string();
                if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        "DEFAULT_COUNTRY_CODE",
                        "must be 1 to 3 digits, e.g. 998",
                    ));
                }
                Some(cc)
            }
            None => None,
        };

        let cors_allowed_origins = self
            .cors_allowed_origins
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().trim_end_matches('/').to_string())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>();
        for origin in &cors_allowed_origins {
            if origin == "*" {
                return Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    "cannot be * (cookies need explicit origins)",
                ));
            }
            origin.parse::<Url>().map_err(|_| {
                invalid(
                    "CORS_ALLOWED_ORIGINS",
                    format!("has a bad origin {origin:?}"),
                )
            })?;
        }

        let redis_url = self.redis_url.unwrap_or_else(|| DEFAULT_REDIS_URL.into());
        if !redis_url.starts_with("redis") {
            return Err(invalid(
                "REDIS_URL",
                "must start with redis://, rediss:// or redis-cluster://",
            ));
        }
        let database_url = self
            .database_url
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(invalid(
                "DATABASE_URL",
                "must be a sqlite:// or postgres:// URL",
            ));
        }

        let service_api_keys = self
            .service_api_key
            .iter()
            .chain(self.service_api_keys.iter())
            .flat_map(|keys| keys.split(','))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| {
                if k.len() < 16 {
                    Err(invalid(
                        "SERVICE_API_KEYS",
                        "holds a key shorter than 16 characters",
                    ))
                } else {
                    Ok(Secret::new(k))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;

        for (var, value) in [
            (
                "TELEGRAM_GLOBAL_RATE_PER_SECOND",
                self.telegram_global_rate_per_second,
            ),
            (
                "TELEGRAM_CHAT_RATE_PER_SECOND",
                self.telegram_chat_rate_per_second,
            ),
            (
                "TELEGRAM_GROUP_RATE_PER_MINUTE",
                self.telegram_group_rate_per_minute,
            ),
        ] {
            if value == 0 {
                return Err(invalid(var, "must be at least 1"));
            }
        }
        let notify = NotifyPolicy {
            global_per_second: self.telegram_global_rate_per_second,
            chat_per_second: self.telegram_chat_rate_per_second,
            group_per_minute: self.telegram_group_rate_per_minute,
            max_retry: seconds("NOTIFY_MAX_RETRY_SECONDS", self.notify_max_retry_seconds, 1)?,
            reclaim_idle: seconds(
                "NOTIFY_RECLAIM_IDLE_SECONDS",
                self.notify_reclaim_idle_seconds,
                1,
            )?,
            send_lease: seconds(
                "NOTIFY_SEND_LEASE_SECONDS",
                self.notify_send_lease_seconds,
                1,
            )?,
            drain: seconds("NOTIFY_DRAIN_SECONDS", self.notify_drain_seconds, 0)?,
        };

        let test_phones = match self.test_phones.filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(list) => Some(parse_test_phones(
                &list,
                self.test_phones_valid_until.as_deref(),
                default_country_code.as_deref(),
                otp.length,
            )?),
        };

        let database_pool = DatabasePool {
            max_connections: match self.database_max_connections {
                Some(0) => return Err(invalid("DATABASE_MAX_CONNECTIONS", "must be at least 1")),
                Some(n) => n,
                // SQLite runs one write at a time; each connection is a thread with its own
                // page cache, so more of them cost memory and buy nothing.
                None if database_url.starts_with("sqlite") => 4,
                None => 16,
            },
            connect_timeout: seconds(
                "DATABASE_CONNECT_TIMEOUT_SECONDS",
                self.database_connect_timeout_seconds,
                1,
            )?,
            acquire_timeout: seconds(
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
                self.database_acquire_timeout_seconds,
                1,
            )?,
            statement_timeout: self
                .database_statement_timeout_seconds
                .map(Duration::from_secs),
        };

        let config = Config {
            bind_addr,
            app_env,
            log_format: self.log_format.unwrap_or(match app_env {
                AppEnv::Production => LogFormat::Json,
                AppEnv::Development => LogFormat::Text,
            }),
            redis_url,
            redis_key_prefix: self.redis_key_prefix,
            redis_pool_size: match self.redis_pool_size {
                0 | 65.. => return Err(invalid("REDIS_POOL_SIZE", "must be 1 to 64")),
                n => n,
            },
            database_url,
            database_pool,
            telegram_bot_token,
            telegram_api_url,
            telegram_mode,
            telegram_poll_timeout: seconds(
                "TELEGRAM_POLL_TIMEOUT_SECONDS",
                self.telegram_poll_timeout_seconds,
                1,
            )?,
            jwt_secret,
            jwt_access_ttl: seconds("JWT_ACCESS_TTL_SECONDS", self.jwt_access_ttl_seconds, 30)?,
            jwt_refresh_ttl: seconds("JWT_REFRESH_TTL_SECONDS", self.jwt_refresh_ttl_seconds, 60)?,
            refresh_reuse_grace: Duration::from_secs(self.jwt_refresh_reuse_grace_seconds),
            session_max_age: seconds("SESSION_MAX_AGE_SECONDS", self.session_max_age_seconds, 60)?,
            otp,
            rate_limit_per_ip_per_minute: self.rate_limit_per_ip_per_minute,
            // The older boolean means one proxy.
            trusted_proxy_hops: self
                .trusted_proxy_hops
                .unwrap_or(u32::from(self.trust_proxy_headers)),
            default_country_code,
            cors_allowed_origins,
            site_login_url: self.site_login_url.filter(|s| !s.is_empty()),
            service_api_keys,
            metrics_token: self
                .metrics_token
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            default_language: match self.default_language.as_deref() {
                None | Some("") => crate::telegram::texts::Lang::Uz,
                Some("uz") => crate::telegram::texts::Lang::Uz,
                Some("ru") => crate::telegram::texts::Lang::Ru,
                Some("en") => crate::telegram::texts::Lang::En,
                Some(_) => return Err(invalid("DEFAULT_LANGUAGE", "must be uz, ru or en")),
            },
            bot_secret: match self.bot_secret.filter(|t| !t.is_empty()) {
                Some(s) if s.len() < 16 => {
                    return Err(invalid("BOT_SECRET", "must be at least 16 characters"));
                }
                other => other.map(Secret::new),
            },
            legacy_verify_ttl: seconds(
                "LEGACY_VERIFY_TTL_SECONDS",
                self.legacy_verify_ttl_seconds,
                1,
            )?,
            legacy_bot_codes_per_minute: match self.legacy_bot_codes_per_minute {
                0 => return Err(invalid("LEGACY_BOT_CODES_PER_MINUTE", "must be at least 1")),
                n => n,
            },
            cookie_secure: self.cookie_secure,
            notify,
            test_phones,
            binding_ttl: seconds("BINDING_TTL_SECONDS", self.binding_ttl_seconds, 60)?,
            shop_link_ttl: seconds("SHOP_LINK_TTL_SECONDS", self.shop_link_ttl_seconds, 60)?,
            request_timeout: seconds("REQUEST_TIMEOUT_SECONDS", self.request_timeout_seconds, 1)?,
        };
        if config.redis_key_prefix.contains(['{', '}']) {
            // A brace would change the keys' cluster hash tags, so scripts that touch one
            // phone's keys together would fail on a cluster.
            return Err(invalid("REDIS_KEY_PREFIX", "cannot contain { or }"));
        }
        if config.is_production() {
            config.refuse_unsafe()?;
        }
        Ok(config)
    }
}

/// The shortest send lease production accepts.
const MIN_PRODUCTION_SEND_LEASE: Duration = Duration::from_secs(30);

/// The longest a review number's fixed code may stay armed in production.
const REVIEW_NUMBERS_MAX_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(90);

impl Config {
    /// What production never runs with: each refusal names its variable.
    fn refuse_unsafe(&self) -> Result<(), ConfigError> {
        if !self.cookie_secure {
            return Err(invalid(
                "COOKIE_SECURE",
                "cannot be false when APP_ENV=production (session cookies would travel in clear)",
            ));
        }
        if self.rate_limit_per_ip_per_minute == 0 {
            return Err(invalid(
                "RATE_LIMIT_PER_IP_PER_MINUTE",
                "cannot be 0 when APP_ENV=production",
            ));
        }
        if self.otp.length < 6 {
            return Err(invalid(
                "OTP_LENGTH",
                "must be at least 6 when APP_ENV=production",
            ));
        }
        if let Some(review) = &self.test_phones
            && review.valid_until > chrono::Utc::now() + REVIEW_NUMBERS_MAX_AHEAD
        {
            return Err(invalid(
                "TEST_PHONES_VALID_UNTIL",
                "cannot be more than 90 days ahead when APP_ENV=production",
            ));
        }
        if self.notify.send_lease < MIN_PRODUCTION_SEND_LEASE {
            // A lease shorter than one call to Telegram (teloxide: 17 s timeout, plus 10 s it
            // waits after a 5xx) runs out mid-send, and another worker sends the order again.
            return Err(invalid(
                "NOTIFY_SEND_LEASE_SECONDS",
                "must be at least 30 when APP_ENV=production (one call to Telegram can take 27 s)",
            ));
        }
        if self.metrics_token.is_none() {
            return Err(invalid(
                "METRICS_TOKEN",
                "is required when APP_ENV=production (GET /metrics would be public)",
            ));
        }
        Ok(())
    }
}

/// `+998900000001=123456,+998900000002=654321` until `2026-12-31` (or an RFC 3339 time).
fn parse_test_phones(
    list: &str,
    valid_until: Option<&str>,
    default_cc: Option<&str>,
    code_length: u32,
) -> Result<TestPhones, ConfigError> {
    let valid_until = valid_until
        .ok_or_else(|| invalid("TEST_PHONES_VALID_UNTIL", "is required with TEST_PHONES"))?
        .trim();
    let valid_until = chrono::DateTime::parse_from_rfc3339(valid_until)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(valid_until, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            invalid(
                "TEST_PHONES_VALID_UNTIL",
                "must be a date (2026-12-31) or RFC 3339 time",
            )
        })?;
    let mut codes = HashMap::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (phone, code) = entry
            .split_once('=')
            .ok_or_else(|| invalid("TEST_PHONES", "entries must look like +998900000001=123456"))?;
        let phone = crate::domain::Phone::parse(phone, default_cc)
            .map_err(|_| invalid("TEST_PHONES", format!("has an invalid phone {phone:?}")))?;
        let code = code.trim();
        if code.len() != code_length as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "TEST_PHONES",
                format!("codes must be {code_length} digits (OTP_LENGTH)"),
            ));
        }
        codes.insert(phone.as_str().to_string(), Secret::new(code));
    }
    Ok(TestPhones { codes, valid_until })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("JWT_SECRET", "0123456789abcdef0123456789abcdef")]
    }

    #[test]
    fn defaults_follow_the_documented_values() {
        let c = Config::from_vars(base()).unwrap();
        assert_eq!(c.bind_addr.port(), 8080);
        assert_eq!(c.otp.ttl, Duration::from_secs(600));
        assert_eq!(c.otp.length, 6);
        assert_eq!(c.rate_limit_per_ip_per_minute, 60);
        assert!(c.cookie_secure);
        assert!(c.telegram_bot_token.is_none());
    }

    #[test]
    fn port_is_used_when_bind_addr_is_absent() {
        let mut vars = base();
        vars.push(("PORT", "3000"));
        assert_eq!(Config::from_vars(vars).unwrap().bind_addr.port(), 3000);
    }

    #[test]
    fn a_bad_number_names_its_variable() {
        let mut vars = base();
        vars.push(("OTP_TTL_SECONDS", "ten"));
        let err = Config::from_vars(vars).unwrap_err().to_string();
        assert!(err.contains("OTP_TTL_SECONDS"), "{err}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = Config::from_vars([("JWT_SECRET", "short")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_SECRET"), "{err}");
    }

    #[test]
    fn numeric_secrets_stay_strings() {
        let secret = "12345678901234567890123456789012";
        let c =
            Config::from_vars([("JWT_SECRET", secret), ("DEFAULT_COUNTRY_CODE", "998")]).unwrap();
        assert_eq!(c.jwt_secret.expose(), secret);
        assert_eq!(c.default_country_code.as_deref(), Some("998"));
    }

    #[test]
    fn production_requires_token_and_secret() {
        let err = Config::from_vars([("APP_ENV", "production")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("TELEGRAM_BOT_TOKEN"), "{err}");
        let err = Config::from_vars([("APP_ENV", "production"), ("TELEGRAM_BOT_TOKEN", "1:x")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("JWT_SECRET"), "{err}");
    }

    fn production() -> Vec<(&'static str, String)> {
        [
            ("APP_ENV", "production"),
            ("TELEGRAM_BOT_TOKEN", "1:x"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("METRICS_TOKEN", "metrics-token-0123456789"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect()
    }

    #[test]
    fn production_refuses_each_unsafe_setting_by_name() {
        assert!(Config::from_vars(production()).is_ok());
        let in_a_year = (chrono::Utc::now() + chrono::TimeDelta::days(365))
            .format("%Y-%m-%d")
            .to_string();
        let in_a_month = (chrono::Utc::now() + chrono::TimeDelta::days(30))
            .format("%Y-%m-%d")
            .to_string();
        for (var, value, named) in [
            ("COOKIE_SECURE", "false", "COOKIE_SECURE"),
            (
                "RATE_LIMIT_PER_IP_PER_MINUTE",
                "0",
                "RATE_LIMIT_PER_IP_PER_MINUTE",
            ),
            ("OTP_LENGTH", "5", "OTP_LENGTH"),
            ("REDIS_KEY_PREFIX", "shop{1}:", "REDIS_KEY_PREFIX"),
            ("METRICS_TOKEN", "", "METRICS_TOKEN"),
            (
                "NOTIFY_SEND_LEASE_SECONDS",
                "29",
                "NOTIFY_SEND_LEASE_SECONDS",
            ),
        ] {
            let mut vars = production();
            vars.retain(|(k, _)| *k != var);
            vars.push((var, value.to_string()));
            let err = Config::from_vars(vars).unwrap_err().to_string();
            assert!(err.contains(named), "{var}={value}: {err}");
        }
        let mut review = production();
        review.push(("TEST_PHONES", "+998900000001=123456".into()));
        review.push(("TEST_PHONES_VALID_UNTIL", in_a_year));
        let err = Config::from_vars(review.clone()).unwrap_err().to_string();
        assert!(err.contains("TEST_PHONES_VALID_UNTIL"), "{err}");
        review.pop();
        review.push(("TEST_PHONES_VALID_UNTIL", in_a_month));
        assert!(Config::from_vars(review).is_ok());
        // Development allows what a laptop needs.
        let c = Config::from_vars([
            ("COOKIE_SECURE", "false"),
            ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
            ("OTP_LENGTH", "4"),
        ])
        .unwrap();
        assert!(!c.cookie_secure);
    }

    #[test]
    fn the_older_proxy_switch_means_one_hop() {
        let hops =
            |vars: &[(&str, &str)]| Config::from_vars(vars.to_vec()).unwrap().trusted_proxy_hops;
        assert_eq!(hops(&[]), 0);
        assert_eq!(hops(&[("TRUST_PROXY_HEADERS", "true")]), 1);
        assert_eq!(hops(&[("TRUSTED_PROXY_HOPS", "2")]), 2);
        assert_eq!(
            hops(&[("TRUST_PROXY_HEADERS", "true"), ("TRUSTED_PROXY_HOPS", "0")]),
            0
        );
    }

    #[test]
    fn sessions_live_thirty_days_at_most_by_default() {
        let c = Config::from_vars(base()).unwrap();
        assert_eq!(c.session_max_age, Duration::from_secs(30 * 24 * 3600));
        let mut short = base();
        short.push(("SESSION_MAX_AGE_SECONDS", "59"));
        assert!(
            Config::from_vars(short)
                .unwrap_err()
                .to_string()
                .contains("SESSION_MAX_AGE_SECONDS")
        );
    }

    #[test]
    fn service_keys_come_from_either_variable() {
        let mut vars = base();
        vars.push(("SERVICE_API_KEY", "first-key-0123456789"));
        vars.push((
            "SERVICE_API_KEYS",
            "second-key-0123456789, third-key-0123456789",
        ));
        let keys = Config::from_vars(vars).unwrap().service_api_keys;
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[2].expose(), "third-key-0123456789");
        let mut short = base();
        short.push(("SERVICE_API_KEYS", "short"));
        assert!(
            Config::from_vars(short)
                .unwrap_err()
                .to_string()
                .contains("SERVICE_API_KEYS")
        );
    }

    #[test]
    fn test_phones_need_a_date_and_well_formed_codes() {
        let mut vars = base();
        vars.push(("TEST_PHONES", "+998900000001=123456"));
        let err = Config::from_vars(vars.clone()).unwrap_err().to_string();
        assert!(err.contains("TEST_PHONES_VALID_UNTIL"), "{err}");
        vars.push(("TEST_PHONES_VALID_UNTIL", "2099-12-31"));
        let config = Config::from_vars(vars.clone()).unwrap();
        let phones = config.test_phones.unwrap();
        assert_eq!(phones.codes["+998900000001"].expose(), "123456");
        assert!(!format!("{phones:?}").contains("123456"));
        vars.push(("TEST_PHONES", "+998900000001=12"));
        let mut bad = base();
        bad.push(("TEST_PHONES", "+998900000001=12"));
        bad.push(("TEST_PHONES_VALID_UNTIL", "2099-12-31"));
        assert!(
            Config::from_vars(bad)
                .unwrap_err()
                .to_string()
                .contains("digits")
        );
    }

    #[test]
    fn webhook_mode_needs_an_https_url_and_a_proper_secret() {
        let mut vars = base();
        vars.push(("TELEGRAM_MODE", "webhook"));
        assert!(
            Config::from_vars(vars.clone())
                .unwrap_err()
                .to_string()
                .contains("TELEGRAM_WEBHOOK_URL")
        );
        vars.push((
            "TELEGRAM_WEBHOOK_URL",
            "http://shop.example/telegram/webhook",
        ));
        vars.push(("TELEGRAM_WEBHOOK_SECRET", "s3cret_value-1"));
        assert!(
            Config::from_vars(vars.clone())
                .unwrap_err()
                .to_string()
                .contains("https")
        );
        vars.push((
            "TELEGRAM_WEBHOOK_URL",
            "https://shop.example/telegram/webhook",
        ));
        assert!(matches!(
            Config::from_vars(vars.clone()).unwrap().telegram_mode,
            TelegramMode::Webhook { .. }
        ));
        vars.push(("TELEGRAM_WEBHOOK_SECRET", "no spaces allowed"));
        assert!(
            Config::from_vars(vars)
                .unwrap_err()
                .to_string()
                .contains("TELEGRAM_WEBHOOK_SECRET")
        );
    }

    #[test]
    fn otp_length_is_bounded() {
        let mut vars = base();
        vars.push(("OTP_LENGTH", "3"));
        assert!(
            Config::from_vars(vars)
                .unwrap_err()
                .to_string()
                .contains("OTP_LENGTH")
        );
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config::from_vars(base()).unwrap();
        assert!(!format!("{c:?}").contains("0123456789abcdef"));
    }
}
