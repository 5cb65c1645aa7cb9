//! `users`: one row per phone number that ever linked or logged in.

use sea_orm::entity::prelude::*;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The Telegram account the phone is linked to; `None` after the phone moved away from it.
    #[sea_orm(unique)]
    pub telegram_id: Option<i64>,
    /// E.164.
    #[sea_orm(unique)]
    pub phone: String,
    pub is_verified: bool,
    pub language: Option<String>,
    /// Telegram's first name, as the account last shared it.
    pub first_name: Option<String>,
    /// Telegram's last name, as the account last shared it.
    pub last_name: Option<String>,
    /// The name the shop knows the customer by (its bot, or the customer on its site); shown
    /// before Telegram's.
    pub full_name: Option<String>,
    /// Telegram's username.
    pub username: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub verified_at: Option<DateTimeUtc>,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
