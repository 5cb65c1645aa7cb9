//! A user as the front doors see them: the record, its names and language, as a shop's site
//! reads and edits them.

use uuid::Uuid;

pub use crate::store::sql::users::{Profile, ProfileChange, UserRecord, display_name, full_name};
use crate::{
    binding,
    domain::TelegramId,
    error::{Error, Result},
    state::AppState,
    store::sql::users,
};

/// The user a Telegram account is linked to, if any.
pub async fn of_account(state: &AppState, telegram_id: TelegramId) -> Result<Option<UserRecord>> {
    users::find_by_telegram_id(&state.db, telegram_id).await
}

/// The session's user; `Unauthorized` when the row is gone.
pub async fn of(state: &AppState, user_id: Uuid) -> Result<UserRecord> {
    users::find_by_id(&state.db, user_id)
        .await?
        .ok_or(Error::Unauthorized)
}

/// Applies what the customer changed and returns the user as it now is. A new language also
/// reaches the binding, so the next code arrives in it.
pub async fn change(state: &AppState, user_id: Uuid, change: ProfileChange) -> Result<UserRecord> {
    let language_changed = change.language.is_some();
    let user = users::change_profile(&state.db, user_id, change)
        .await?
        .ok_or(Error::Unauthorized)?;
    if language_changed {
        binding::refresh(state, &user).await?;
    }
    Ok(user)
}
