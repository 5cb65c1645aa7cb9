//! The customers' records: SQL holds them, Redis a copy of each that the reads on a request path
//! take (`GET /me`, the older shapes' `me`, OpenID Connect's tokens and userinfo), so that no
//! request reads SQL unless it writes. Every write to a record goes through [`Profiles`], which
//! keeps the copy up to date; a copy is replaced only by a newer row.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::domain::User;
pub(crate) use crate::store::sql::users::{Linked, Profile, ProfileChange, Takeover};
use crate::{
    core::binding,
    domain::{Lang, Phone, TelegramId},
    error::{Error, Result},
    store::{RedisStore, sql::users},
};

/// The customers' records as everything in the core reads and changes them. Owns its handles:
/// the database, Redis for the copies (and the binding a new language reaches), and how long a
/// copy is kept without a write (a session's longest life: a copy outlives no session's need).
#[derive(Clone)]
pub(crate) struct Profiles {
    db: DatabaseConnection,
    redis: RedisStore,
    keep: Duration,
}

impl Profiles {
    pub(crate) fn new(db: DatabaseConnection, redis: RedisStore, keep: Duration) -> Self {
        Self { db, redis, keep }
    }

    /// User `user_id` from the copy in Redis; from SQL only when there is no copy (then kept).
    pub(crate) async fn find(&self, user_id: Uuid) -> Result<Option<User>> {
        if let Some(user) = self.redis.remembered_user(user_id).await? {
            return Ok(Some(user));
        }
        let user = users::find_by_id(&self.db, user_id).await?;
        if let Some(user) = &user {
            self.remember(user).await?;
        }
        Ok(user)
    }

    /// The session's user; `Unauthorized` when the row is gone.
    pub(crate) async fn of(&self, user_id: Uuid) -> Result<User> {
        self.find(user_id).await?.ok_or(Error::Unauthorized)
    }

    /// The user a Telegram account is linked to, if any (from SQL: the bot asks, not a site).
    pub(crate) async fn of_account(&self, telegram_id: TelegramId) -> Result<Option<User>> {
        users::find_by_telegram_id(&self.db, telegram_id).await
    }

    /// The user of a phone, if any (from SQL: a background look-up of a phone Redis does not
    /// know as linked).
    pub(crate) async fn of_phone(&self, phone: &Phone) -> Result<Option<User>> {
        users::find_by_phone(&self.db, phone).await
    }

    /// Applies what the customer changed and returns the user as it now is. A new language
    /// also reaches the binding, so the next code arrives in it.
    pub(crate) async fn change(&self, user_id: Uuid, change: ProfileChange) -> Result<User> {
        let language_changed = change.language.is_some();
        let user = users::change_profile(&self.db, user_id, change)
            .await?
            .ok_or(Error::Unauthorized)?;
        self.remember(&user).await?;
        if language_changed {
            binding::refresh(&self.redis, &user).await?;
        }
        Ok(user)
    }

    /// Links `phone` to `telegram_id` in SQL (see [`users::link`]); both records it changed
    /// are kept anew.
    pub(crate) async fn link(
        &self,
        phone: &Phone,
        telegram_id: TelegramId,
        profile: Profile,
        takeover: Takeover,
    ) -> Result<Linked> {
        let linked = users::link(&self.db, phone, telegram_id, profile, takeover).await?;
        self.remember(&linked.user).await?;
        if let Some(previous) = &linked.previous {
            self.remember(previous).await?;
        }
        Ok(linked)
    }

    /// Remembers the language an account chose in the bot; `None` when it has no row yet.
    pub(crate) async fn set_language(
        &self,
        telegram_id: TelegramId,
        language: Lang,
    ) -> Result<Option<User>> {
        let user = users::set_language(&self.db, telegram_id, language).await?;
        if let Some(user) = &user {
            self.remember(user).await?;
        }
        Ok(user)
    }

    /// Inserts unverified users for phone ↔ account pairs; phones already known keep their
    /// row (and their copy).
    pub(crate) async fn import(&self, pairs: &[(Phone, TelegramId)]) -> Result<()> {
        users::insert_linked(&self.db, pairs).await
    }

    /// Marks the phone's user verified and logged in now, creating the row when it was lost
    /// while Redis kept the binding (`telegram_id`, e.g. after a database restore).
    pub(crate) async fn logged_in(
        &self,
        phone: &Phone,
        telegram_id: impl AsyncFnOnce() -> Result<Option<TelegramId>>,
    ) -> Result<User> {
        let user = match users::record_login(&self.db, phone).await? {
            Some(user) => user,
            None => users::create_logged_in(&self.db, phone, telegram_id().await?).await?,
        };
        self.remember(&user).await?;
        Ok(user)
    }

    /// Marks user `user_id` logged in now (a one-tap login names the user, not the phone);
    /// `None` when the row went away.
    pub(crate) async fn logged_in_by_id(&self, user_id: Uuid) -> Result<Option<User>> {
        let user = users::record_login_by_id(&self.db, user_id).await?;
        if let Some(user) = &user {
            self.remember(user).await?;
        }
        Ok(user)
    }

    async fn remember(&self, user: &User) -> Result<()> {
        self.redis.remember_user(user, self.keep).await
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
