//! The environment variables as read, with their defaults, before any section checks them.
//! Field names are the variables, lower-cased.

use std::collections::HashMap;

use serde::Deserialize;

use super::{AppEnv, ConfigError, LogFormat, invalid};

/// Reads the variables from `source`, or from the process environment when it is `None`.
pub(super) fn read(source: Option<HashMap<String, String>>) -> Result<Raw, ConfigError> {
    let env = config::Environment::default()
        .try_parsing(false)
        .ignore_empty(true)
        .source(source.map(|m| m.into_iter().collect()));
    config::Config::builder()
        .add_source(env)
        .build()
        .and_then(|c| c.try_deserialize())
        .map_err(describe)
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

/// The variables as read, before validation. Field names are the variables, lower-cased.
#[derive(Deserialize)]
pub(super) struct Raw {
    pub(super) log_format: Option<LogFormat>,
    pub(super) bind_addr: Option<String>,
    pub(super) port: Option<u16>,
    pub(super) app_env: Option<AppEnv>,
    pub(super) redis_url: Option<String>,
    #[serde(default = "default_prefix")]
    pub(super) redis_key_prefix: String,
    #[serde(default = "default_redis_pool_size")]
    pub(super) redis_pool_size: usize,
    pub(super) database_url: Option<String>,
    pub(super) database_max_connections: Option<u32>,
    #[serde(default = "default_db_connect_timeout")]
    pub(super) database_connect_timeout_seconds: u64,
    #[serde(default = "default_db_acquire_timeout")]
    pub(super) database_acquire_timeout_seconds: u64,
    pub(super) database_statement_timeout_seconds: Option<u64>,
    pub(super) telegram_bot_token: Option<String>,
    pub(super) telegram_api_url: Option<String>,
    pub(super) telegram_mode: Option<String>,
    pub(super) telegram_webhook_url: Option<String>,
    pub(super) telegram_webhook_secret: Option<String>,
    #[serde(default = "default_poll_timeout")]
    pub(super) telegram_poll_timeout_seconds: u64,
    pub(super) jwt_secret: Option<String>,
    #[serde(default = "default_access_ttl")]
    pub(super) jwt_access_ttl_seconds: u64,
    #[serde(default = "default_refresh_ttl")]
    pub(super) jwt_refresh_ttl_seconds: u64,
    #[serde(default = "default_reuse_grace")]
    pub(super) jwt_refresh_reuse_grace_seconds: u64,
    #[serde(default = "default_session_max_age")]
    pub(super) session_max_age_seconds: u64,
    #[serde(default = "default_otp_ttl")]
    pub(super) otp_ttl_seconds: u64,
    #[serde(default = "default_otp_length")]
    pub(super) otp_length: u32,
    #[serde(default = "default_max_attempts")]
    pub(super) otp_max_attempts: u32,
    #[serde(default = "default_cooldown")]
    pub(super) otp_resend_cooldown_seconds: u64,
    #[serde(default = "default_sends_per_hour")]
    pub(super) otp_max_sends_per_hour: u32,
    #[serde(default = "default_failures_per_hour")]
    pub(super) otp_max_failures_per_hour: u32,
    #[serde(default = "default_ip_limit")]
    pub(super) rate_limit_per_ip_per_minute: u32,
    #[serde(default)]
    pub(super) trust_proxy_headers: bool,
    pub(super) trusted_proxy_hops: Option<u32>,
    pub(super) default_country_code: Option<String>,
    pub(super) cors_allowed_origins: Option<String>,
    pub(super) site_login_url: Option<String>,
    pub(super) service_api_key: Option<String>,
    pub(super) metrics_token: Option<String>,
    pub(super) bot_secret: Option<String>,
    pub(super) default_language: Option<String>,
    #[serde(default = "default_legacy_ttl")]
    pub(super) legacy_verify_ttl_seconds: u64,
    #[serde(default = "default_legacy_bot_codes")]
    pub(super) legacy_bot_codes_per_minute: u32,
    pub(super) service_api_keys: Option<String>,
    #[serde(default = "yes")]
    pub(super) cookie_secure: bool,
    #[serde(default = "default_global_rate")]
    pub(super) telegram_global_rate_per_second: u32,
    #[serde(default = "default_chat_rate")]
    pub(super) telegram_chat_rate_per_second: u32,
    #[serde(default = "default_group_rate")]
    pub(super) telegram_group_rate_per_minute: u32,
    #[serde(default = "default_max_retry")]
    pub(super) notify_max_retry_seconds: u64,
    #[serde(default = "default_reclaim_idle")]
    pub(super) notify_reclaim_idle_seconds: u64,
    #[serde(default = "default_send_lease")]
    pub(super) notify_send_lease_seconds: u64,
    #[serde(default = "default_drain")]
    pub(super) notify_drain_seconds: u64,
    #[serde(default = "default_binding_ttl")]
    pub(super) binding_ttl_seconds: u64,
    #[serde(default = "default_shop_link_ttl")]
    pub(super) shop_link_ttl_seconds: u64,
    pub(super) test_phones: Option<String>,
    pub(super) test_phones_valid_until: Option<String>,
    #[serde(default = "default_request_timeout")]
    pub(super) request_timeout_seconds: u64,
    pub(super) site_name: Option<String>,
    pub(super) oidc_issuer: Option<String>,
    #[serde(default = "default_login_link_ttl")]
    pub(super) login_link_ttl_seconds: u64,
    pub(super) hsts_max_age_seconds: Option<u64>,
    #[serde(default = "default_login_session_ttl")]
    pub(super) login_session_ttl_seconds: u64,
    pub(super) time_zone: Option<String>,
    pub(super) telegram_gateway_token: Option<String>,
    pub(super) telegram_gateway_url: Option<String>,
    pub(super) gateway_country_codes: Option<String>,
    #[serde(default = "default_gateway_sends")]
    pub(super) gateway_max_sends_per_hour: u32,
    #[serde(default = "default_gateway_low_balance")]
    pub(super) gateway_low_balance: f64,
    #[serde(default = "default_gateway_pause")]
    pub(super) gateway_pause_seconds: u64,
    pub(super) gateway_callback_url: Option<String>,
    #[serde(default = "default_no_code_hint")]
    pub(super) login_no_code_hint_seconds: u64,
}

fn default_no_code_hint() -> u64 {
    30
}

fn default_gateway_sends() -> u32 {
    500
}

fn default_gateway_low_balance() -> f64 {
    10.0
}

fn default_gateway_pause() -> u64 {
    300
}

fn default_login_session_ttl() -> u64 {
    24 * 3600
}

fn default_login_link_ttl() -> u64 {
    120
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
