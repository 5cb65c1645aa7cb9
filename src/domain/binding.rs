//! Where a phone's codes go.

use super::{Lang, TelegramId};

/// Where a phone's codes go: the linked account, and the language it reads (kept beside the
/// binding so that sending a code needs no database query).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Binding {
    pub(crate) telegram_id: TelegramId,
    pub(crate) language: Option<Lang>,
}

impl Binding {
    pub(crate) fn new(telegram_id: TelegramId, language: Option<Lang>) -> Self {
        Self {
            telegram_id,
            language,
        }
    }
}
