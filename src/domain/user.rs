//! A customer as everything past the SQL store's edge sees them: the phone as a [`Phone`], the
//! Telegram account as a [`TelegramId`], the language as a [`Lang`]. Made once, where the row is
//! read (`store::sql::users`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Lang, Phone, TelegramId};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct User {
    pub id: Uuid,
    pub phone: Phone,
    /// The Telegram account the phone is linked to; `None` after the phone moved away from it.
    pub telegram_id: Option<TelegramId>,
    /// The customer logged in at least once since the phone was last linked.
    pub is_verified: bool,
    /// The language the customer chose, if any.
    pub language: Option<Lang>,
    /// Telegram's first and last name, as the account last shared them.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// The name the shop knows the customer by; shown before Telegram's.
    pub full_name: Option<String>,
    /// Telegram's username.
    pub username: Option<String>,
    pub created_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the row last changed: which of two copies of it is newer.
    pub updated_at: DateTime<Utc>,
}
