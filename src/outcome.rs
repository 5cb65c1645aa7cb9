//! What Telegram's answer to a send means, for every sender (login codes, notices, orders).

use teloxide::{ApiError, RequestError};

/// Telegram will not take messages for this chat any more.
pub fn chat_is_gone(err: &ApiError) -> bool {
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
pub fn is_transient(err: &RequestError) -> bool {
    match err {
        RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => true,
        RequestError::Api(ApiError::Unknown(text)) => !text.starts_with("Bad Request"),
        _ => false,
    }
}

/// The request went out and no answer came back (the connection dropped after it was sent, or
/// the answer timed out): Telegram may have shown the message. A refused or failed connection is
/// not this: nothing reached Telegram, and trying again is safe.
pub fn outcome_unknown(err: &RequestError) -> bool {
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
