//! A user as the front doors see them: the record, its names and language, as a shop's site
//! reads and edits them.

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::User;
pub(crate) use crate::store::sql::users::{Profile, ProfileChange};
use crate::{
    core::binding,
    domain::TelegramId,
    error::{Error, Result},
    store::{RedisStore, sql::users},
};

/// The customers' records as the front doors read and change them. Owns its handles: the
/// database, and Redis for the binding a new language reaches.
#[derive(Clone)]
pub(crate) struct Profiles {
    db: DatabaseConnection,
    redis: RedisStore,
}

impl Profiles {
    pub(crate) fn new(db: DatabaseConnection, redis: RedisStore) -> Self {
        Self { db, redis }
    }

    /// The user a Telegram account is linked to, if any.
    pub(crate) async fn of_account(&self, telegram_id: TelegramId) -> Result<Option<User>> {
        users::find_by_telegram_id(&self.db, telegram_id).await
    }

    /// The session's user; `Unauthorized` when the row is gone.
    pub(crate) async fn of(&self, user_id: Uuid) -> Result<User> {
        users::find_by_id(&self.db, user_id)
            .await?
            .ok_or(Error::Unauthorized)
    }

    /// Applies what the customer changed and returns the user as it now is. A new language
    /// also reaches the binding, so the next code arrives in it.
    pub(crate) async fn change(&self, user_id: Uuid, change: ProfileChange) -> Result<User> {
        let language_changed = change.language.is_some();
        let user = users::change_profile(&self.db, user_id, change)
            .await?
            .ok_or(Error::Unauthorized)?;
        if language_changed {
            binding::refresh(&self.redis, &user).await?;
        }
        Ok(user)
    }
}

/// The name to show for a user: the shop's, else Telegram's first and last name.
pub(crate) fn full_name(user: &User) -> Option<String> {
    user.full_name.clone().or_else(|| {
        let first = user.first_name.as_deref().unwrap_or_default().trim();
        let last = user.last_name.as_deref().unwrap_or_default().trim();
        let joined = format!("{first} {last}").trim().to_string();
        (!joined.is_empty()).then_some(joined)
    })
}

/// The full name, else the Telegram username, else the masked phone.
pub(crate) fn display_name(user: &User) -> String {
    full_name(user)
        .or_else(|| user.username.clone())
        .unwrap_or_else(|| user.phone.masked())
}
