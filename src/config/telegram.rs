//! `telegram`: the bot, how its updates arrive, and what it says by default.

use std::time::Duration;

use url::Url;

use super::{AppEnv, ConfigError, Secret, env::Raw, invalid, seconds};
use crate::domain::Lang;

pub(crate) const DEFAULT_TELEGRAM_API_URL: &str = "https://api.telegram.org";

#[derive(Clone, Debug)]
pub struct TelegramConfig {
    /// `None` turns the bot off (development only): codes are then written to the log.
    pub bot_token: Option<Secret>,
    pub api_url: Url,
    /// How Telegram's updates reach the bot.
    pub mode: TelegramMode,
    /// How long one `getUpdates` long poll waits for news.
    pub poll_timeout: Duration,
    /// The bot's language for users whose own is unknown or unsupported.
    pub default_language: Lang,
    /// The shop's login page, linked from the bot's messages.
    pub site_login_url: Option<String>,
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

impl TelegramConfig {
    pub(super) fn from_raw(raw: &Raw, app_env: AppEnv) -> Result<Self, ConfigError> {
        let bot_token = raw.telegram_bot_token.clone().map(Secret::new);
        if bot_token.is_none() && app_env == AppEnv::Production {
            return Err(invalid(
                "TELEGRAM_BOT_TOKEN",
                "is required when APP_ENV=production",
            ));
        }
        let api_url = raw
            .telegram_api_url
            .as_deref()
            .unwrap_or(DEFAULT_TELEGRAM_API_URL)
            .parse::<Url>()
            .map_err(|e| invalid("TELEGRAM_API_URL", format!("is not a URL: {e}")))?;
        Ok(Self {
            bot_token,
            api_url,
            mode: mode(raw)?,
            poll_timeout: seconds(
                "TELEGRAM_POLL_TIMEOUT_SECONDS",
                raw.telegram_poll_timeout_seconds,
                1,
            )?,
            default_language: match raw.default_language.as_deref() {
                None | Some("") | Some("uz") => Lang::Uz,
                Some("ru") => Lang::Ru,
                Some("en") => Lang::En,
                Some(_) => return Err(invalid("DEFAULT_LANGUAGE", "must be uz, ru or en")),
            },
            site_login_url: raw.site_login_url.clone().filter(|s| !s.is_empty()),
        })
    }
}

fn mode(raw: &Raw) -> Result<TelegramMode, ConfigError> {
    match raw.telegram_mode.as_deref().unwrap_or("polling") {
        "polling" => Ok(TelegramMode::Polling),
        "webhook" => {
            let url = raw
                .telegram_webhook_url
                .as_deref()
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
            let secret = raw.telegram_webhook_secret.as_deref().ok_or_else(|| {
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
            Ok(TelegramMode::Webhook {
                url,
                secret: Secret::new(secret),
            })
        }
        other => Err(invalid(
            "TELEGRAM_MODE",
            format!("must be polling or webhook, not {other:?}"),
        )),
    }
}
