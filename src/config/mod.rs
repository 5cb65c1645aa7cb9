//! Typed configuration, read from the environment in one place, in sections that check
//! themselves; each component is built from its own section.
//!
//! `Config::from_env()` is what `main` calls; `Config::from_vars()` takes the same variables as a
//! list, so tests go through exactly the same parsing and validation without touching the
//! process environment. A wrong or missing value is reported with the variable's name.

mod auth;
mod env;
mod gateway;
mod http;
mod login;
mod notify;
mod otp;
mod secret;
mod stores;
mod telegram;
#[cfg(test)]
mod tests;

use std::{collections::HashMap, fmt, time::Duration};

use serde::Deserialize;

pub(crate) use auth::{AuthConfig, LegacyConfig};
pub(crate) use gateway::GatewayConfig;
pub(crate) use http::HttpConfig;
pub(crate) use login::LoginConfig;
pub(crate) use notify::NotifyPolicy;
pub(crate) use otp::OtpPolicy;
pub(crate) use secret::Secret;
pub(crate) use stores::{DatabaseConfig, DatabasePool, RedisConfig};
pub(crate) use telegram::{TelegramConfig, TelegramMode};

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

/// Everything the service needs to start, validated, by section.
#[derive(Clone, Debug)]
pub struct Config {
    pub app_env: AppEnv,
    /// `LOG_FORMAT`; JSON by default in production.
    pub log_format: LogFormat,
    pub http: HttpConfig,
    pub redis: RedisConfig,
    pub database: DatabaseConfig,
    pub telegram: TelegramConfig,
    pub auth: AuthConfig,
    pub otp: OtpPolicy,
    pub notify: NotifyPolicy,
    pub legacy: LegacyConfig,
    pub login: LoginConfig,
    /// The Gateway channel, when `TELEGRAM_GATEWAY_TOKEN` is set.
    pub gateway: Option<GatewayConfig>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

fn invalid(var: &str, why: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{var} {why}"))
}

fn seconds(var: &str, value: u64, min: u64) -> Result<Duration, ConfigError> {
    if value < min {
        return Err(invalid(var, format!("must be at least {min}")));
    }
    Ok(Duration::from_secs(value))
}

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
        let raw = env::read(source)?;
        let app_env = raw.app_env.unwrap_or(AppEnv::Development);
        let config = Config {
            app_env,
            log_format: raw.log_format.unwrap_or(match app_env {
                AppEnv::Production => LogFormat::Json,
                AppEnv::Development => LogFormat::Text,
            }),
            telegram: TelegramConfig::from_raw(&raw, app_env)?,
            auth: AuthConfig::from_raw(&raw, app_env)?,
            otp: OtpPolicy::from_raw(&raw)?,
            http: HttpConfig::from_raw(&raw, app_env == AppEnv::Production)?,
            redis: RedisConfig::from_raw(&raw)?,
            database: DatabaseConfig::from_raw(&raw)?,
            notify: NotifyPolicy::from_raw(&raw)?,
            legacy: LegacyConfig::from_raw(&raw)?,
            login: LoginConfig::from_raw(&raw, app_env)?,
            gateway: GatewayConfig::from_raw(&raw)?,
        };
        if config.is_production() {
            config.refuse_unsafe()?;
        }
        Ok(config)
    }

    pub fn is_production(&self) -> bool {
        self.app_env == AppEnv::Production
    }
}

/// The shortest send lease production accepts.
const MIN_PRODUCTION_SEND_LEASE: Duration = Duration::from_secs(30);

/// The longest a review number's fixed code may stay armed in production.
const REVIEW_NUMBERS_MAX_AHEAD: chrono::TimeDelta = chrono::TimeDelta::days(90);

impl Config {
    /// What production never runs with: each refusal names its variable.
    fn refuse_unsafe(&self) -> Result<(), ConfigError> {
        if !self.http.cookie_secure {
            return Err(invalid(
                "COOKIE_SECURE",
                "cannot be false when APP_ENV=production (session cookies would travel in clear)",
            ));
        }
        if self.http.rate_limit_per_ip_per_minute == 0 {
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
        if let Some(review) = &self.otp.test_phones
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
        if self.login.link_ttl < login::MIN_PRODUCTION_LINK_TTL {
            return Err(invalid(
                "LOGIN_LINK_TTL_SECONDS",
                "must be at least 30 when APP_ENV=production (time to open Telegram and answer)",
            ));
        }
        if let Some(gateway) = &self.gateway {
            if gateway.url.scheme() != "https" {
                return Err(invalid(
                    "TELEGRAM_GATEWAY_URL",
                    "must be https when APP_ENV=production (the token travels with every call)",
                ));
            }
            if gateway
                .callback_url
                .as_deref()
                .is_some_and(|url| !url.starts_with("https://"))
            {
                return Err(invalid(
                    "GATEWAY_CALLBACK_URL",
                    "must be https when APP_ENV=production",
                ));
            }
        }
        if self.http.metrics_token.is_none() {
            return Err(invalid(
                "METRICS_TOKEN",
                "is required when APP_ENV=production (GET /metrics would be public)",
            ));
        }
        Ok(())
    }
}
