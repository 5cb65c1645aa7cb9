//! The customer's profile as a shop's site reads and edits it: names and language.

use uuid::Uuid;

use crate::{
    binding,
    error::{Error, Result},
    state::AppState,
    users::{self, ProfileChange, UserRecord},
};

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
