//! Telegram's numeric ids, typed so a user's id and a chat's id cannot be swapped by accident.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Telegram user's id (also the id of their private chat with the bot).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TelegramId(pub i64);

/// A chat that hears about orders: a group or supergroup (negative), or an owner's private
/// chat (their [`TelegramId`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatId(pub i64);

impl TelegramId {
    /// The user's private chat with the bot.
    pub fn chat(self) -> ChatId {
        ChatId(self.0)
    }
}

impl fmt::Display for TelegramId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<TelegramId> for teloxide::types::ChatId {
    fn from(id: TelegramId) -> Self {
        teloxide::types::ChatId(id.0)
    }
}

impl From<ChatId> for teloxide::types::ChatId {
    fn from(id: ChatId) -> Self {
        teloxide::types::ChatId(id.0)
    }
}

impl From<teloxide::types::ChatId> for ChatId {
    fn from(id: teloxide::types::ChatId) -> Self {
        ChatId(id.0)
    }
}

impl From<teloxide::types::UserId> for TelegramId {
    fn from(id: teloxide::types::UserId) -> Self {
        // Telegram's user ids fit in 52 bits.
        TelegramId(id.0 as i64)
    }
}

impl std::str::FromStr for TelegramId {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(TelegramId)
    }
}
