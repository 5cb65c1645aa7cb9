//! Who sent an update, as the database knows them: looked up once per update and handed to
//! every handler.

use teloxide::types::{Message, Update};

use crate::{
    domain::{Lang, Phone, TelegramId, User},
    state::AppState,
};

/// Who sent an update, as the database knows them: read once per update.
#[derive(Clone)]
pub(super) struct Sender {
    /// The language they chose (`/language`), else their Telegram one, else the default.
    pub(super) lang: Lang,
    /// Their user row, if they ever linked a phone.
    pub(super) account: Option<User>,
    /// The lookup failed (the database is away): say so rather than "not linked".
    pub(super) unavailable: bool,
}

impl Sender {
    /// The phone linked to this account.
    pub(super) fn phone(&self) -> Option<Phone> {
        self.account.as_ref().map(|u| u.phone.clone())
    }
}

/// Looks the update's sender up, once per update (the handler tree's `map_async`).
pub(super) async fn of_update(update: Update, state: AppState) -> Sender {
    lookup(&state, update.from()).await
}

async fn lookup(state: &AppState, user: Option<&teloxide::types::User>) -> Sender {
    let fallback = state.bot.default_language;
    let Some(user) = user else {
        return Sender {
            lang: fallback,
            account: None,
            unavailable: false,
        };
    };
    let telegram = Lang::from_code(user.language_code.as_deref(), fallback);
    match state.profiles.of_account(TelegramId::from(user.id)).await {
        Ok(account) => Sender {
            lang: account
                .as_ref()
                .and_then(|u| u.language)
                .unwrap_or(telegram),
            account,
            unavailable: false,
        },
        Err(err) => {
            tracing::warn!(error = %err, "sender lookup failed");
            Sender {
                lang: telegram,
                account: None,
                unavailable: true,
            }
        }
    }
}

pub(super) fn sender_id(msg: &Message) -> Option<TelegramId> {
    msg.from.as_ref().map(|user| TelegramId::from(user.id))
}
