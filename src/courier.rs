//! Delivers messages to Telegram users: through the bot, or, in development without a bot
//! token, into the log (with a loud warning, since that puts codes in the log).

use std::time::Duration;

use teloxide::{
    Bot,
    payloads::SendMessageSetters,
    prelude::Requester,
    types::{ChatId, ParseMode},
};

use crate::{domain::TelegramId, texts};

#[derive(Clone)]
pub enum Courier {
    Telegram(Bot),
    /// Development without `TELEGRAM_BOT_TOKEN`.
    Log,
}

impl Courier {
    /// Sends a login code to a linked account.
    pub async fn send_code(
        &self,
        to: TelegramId,
        code: &str,
        ttl: Duration,
        site_login_url: Option<&str>,
    ) -> anyhow::Result<()> {
        match self {
            Courier::Telegram(bot) => {
                bot.send_message(ChatId(to), texts::login_code(code, ttl, site_login_url))
                    .parse_mode(ParseMode::Html)
                    .await?;
            }
            Courier::Log => {
                tracing::warn!(
                    telegram_id = to,
                    "DEVELOPMENT ONLY (no TELEGRAM_BOT_TOKEN): login code is {code}"
                );
            }
        }
        Ok(())
    }

    /// Sends a plain-text notice.
    pub async fn send_text(&self, to: TelegramId, text: String) -> anyhow::Result<()> {
        match self {
            Courier::Telegram(bot) => {
                bot.send_message(ChatId(to), text).await?;
            }
            Courier::Log => tracing::info!(telegram_id = to, "message (bot off): {text}"),
        }
        Ok(())
    }
}
