//! What Telegram's answer to a send means, for every sender (login codes, notices, orders).

use std::time::Duration;

use teloxide::{ApiError, RequestError};

/// Telegram's answer to one message, read once for every sender.
#[derive(Debug)]
pub(crate) enum Answer {
    /// Shown; the message's id.
    Sent(i32),
    /// 429: try again after this long.
    Throttled(Duration),
    /// The group became a supergroup with this id: send there.
    Migrated(i64),
    /// Telegram will not take messages for this chat any more (blocked, kicked, deleted).
    ChatGone(String),
    /// It went out and no answer came back: Telegram may have shown it (see
    /// [`outcome_unknown`]).
    Unknown(String),
    /// Network trouble or a 5xx before anything was shown: worth trying again.
    Transient(String),
    /// Refused for good (a bad request).
    Refused(String),
}

impl Answer {
    pub(crate) fn read(result: Result<i32, RequestError>) -> Self {
        match result {
            Ok(message_id) => Answer::Sent(message_id),
            Err(RequestError::RetryAfter(wait)) => Answer::Throttled(wait.duration()),
            Err(RequestError::MigrateToChatId(new)) => Answer::Migrated(new.0),
            Err(RequestError::Api(err)) if chat_is_gone(&err) => Answer::ChatGone(err.to_string()),
            Err(err) if outcome_unknown(&err) => Answer::Unknown(err.to_string()),
            Err(err) if is_transient(&err) => Answer::Transient(err.to_string()),
            Err(err) => Answer::Refused(err.to_string()),
        }
    }

    /// The `outcome` label of `otpgram_telegram_calls_total`.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Answer::Sent(_) => "ok",
            Answer::Throttled(_) => "throttled",
            Answer::Migrated(_) | Answer::ChatGone(_) | Answer::Refused(_) => "refused",
            Answer::Unknown(_) | Answer::Transient(_) => "error",
        }
    }
}

/// The `outcome` label for any Bot API call's result, read as [`Answer::read`] reads a send's.
pub(crate) fn label_of<T>(result: &Result<T, RequestError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(RequestError::RetryAfter(_)) => "throttled",
        Err(RequestError::MigrateToChatId(_)) => "refused",
        Err(RequestError::Api(err)) if chat_is_gone(err) => "refused",
        Err(err) if outcome_unknown(err) || is_transient(err) => "error",
        Err(_) => "refused",
    }
}

/// Telegram will not take messages for this chat any more.
pub(crate) fn chat_is_gone(err: &ApiError) -> bool {
    match err {
        ApiError::BotBlocked
        | ApiError::BotKicked
        | ApiError::BotKickedFromSupergroup
        | ApiError::BotKickedFromChannel
        | ApiError::UserDeactivated
        | ApiError::CantInitiateConversation
        | ApiError::ChatNotFound
        | ApiError::GroupDeactivated => true,
        ApiError::Unknown(text) => text.starts_with("Forbidden"),
        _ => false,
    }
}

/// Worth trying again: network trouble, a garbled answer, or an error Telegram does not name
/// (its 5xx answers).
pub(crate) fn is_transient(err: &RequestError) -> bool {
    match err {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(text)) => !text.starts_with("Bad Request"),
        _ => false,
    }
}

/// The request went out and no answer came back (the connection dropped after it was sent, or
/// the answer timed out): Telegram may have shown the message. A refused or failed connection is
/// not this: nothing reached Telegram, and trying again is safe.
pub(crate) fn outcome_unknown(err: &RequestError) -> bool {
    match err {
        RequestError::Network(err) => !err.is_connect() && !err.is_builder(),
        RequestError::Io(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_and_kicked_chats_are_gone() {
        assert!(chat_is_gone(&ApiError::BotBlocked));
        assert!(chat_is_gone(&ApiError::Unknown(
            "Forbidden: whatever".into()
        )));
        assert!(!chat_is_gone(&ApiError::Unknown(
            "Internal Server Error".into()
        )));
    }
}
