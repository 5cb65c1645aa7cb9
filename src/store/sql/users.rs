//! The durable user record (SQL): who owns which phone, and whether they ever logged in.

use chrono::{DateTime, Utc};
use entity::user::{ActiveModel, Column, Entity as Users, Model};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set, TransactionTrait,
    sea_query::{Expr, ExprTrait, OnConflict},
};
use uuid::Uuid;

use crate::{
    domain::{FullName, Lang, Phone, TelegramId, User},
    error::{Error, Result},
    store::sql as db,
};

/// What a link learns about the person: Telegram's profile (with a shared contact), or the
/// name a shop's bot sends. A field left `None` keeps what the user had.
#[derive(Clone, Debug, Default)]
pub(crate) struct Profile {
    /// Telegram's first and last name; set together (a last name Telegram no longer sends is
    /// cleared).
    pub telegram_name: Option<(String, Option<String>)>,
    pub username: Option<String>,
    pub language: Option<String>,
    /// The shop's name for the customer, which wins over Telegram's once given.
    pub full_name: Option<FullName>,
}

/// What the customer changes on the shop's site; a field left `None` stays as it is.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProfileChange {
    pub full_name: Option<FullName>,
    pub language: Option<Lang>,
}

/// The result of linking a phone to a Telegram account.
#[derive(Debug)]
pub(crate) struct Linked {
    pub user: User,
    /// Another Telegram account that had this phone until now.
    pub moved_from: Option<TelegramId>,
    /// The user of the phone this Telegram account had before, now unlinked from it.
    pub previous: Option<User>,
}

/// Whether a link may take a phone from the Telegram account that has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Takeover {
    /// Telegram itself proved the phone is the sender's (a shared own contact): it moves.
    Allowed,
    /// Someone else vouches for the pair (an older integration's bot): a phone linked to
    /// another account stays there, and the link fails with `Error::PhoneTaken`.
    Refused,
}

/// The row as everything past this edge sees it.
fn user_of(row: Model) -> User {
    User {
        id: row.id,
        phone: Phone::from_store(row.phone),
        telegram_id: row.telegram_id.map(TelegramId),
        is_verified: row.is_verified,
        language: row.language.as_deref().and_then(Lang::parse),
        first_name: row.first_name,
        last_name: row.last_name,
        full_name: row.full_name,
        username: row.username,
        created_at: row.created_at,
        verified_at: row.verified_at,
        last_login_at: row.last_login_at,
        updated_at: row.updated_at,
    }
}

pub(crate) async fn find_by_id(db: &DatabaseConnection, id: Uuid) -> Result<Option<User>> {
    Ok(db::unique(Users::find_by_id(id), db).await?.map(user_of))
}

pub(crate) async fn find_by_phone(
    db: &impl ConnectionTrait,
    phone: &Phone,
) -> Result<Option<User>> {
    Ok(row_by_phone(db, phone).await?.map(user_of))
}

async fn row_by_phone(db: &impl ConnectionTrait, phone: &Phone) -> Result<Option<Model>> {
    Ok(db::unique(Users::find().filter(Column::Phone.eq(phone.as_str())), db).await?)
}

pub(crate) async fn find_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: TelegramId,
) -> Result<Option<User>> {
    Ok(row_by_telegram_id(db, telegram_id).await?.map(user_of))
}

async fn row_by_telegram_id(
    db: &impl ConnectionTrait,
    telegram_id: TelegramId,
) -> Result<Option<Model>> {
    Ok(db::unique(
        Users::find().filter(Column::TelegramId.eq(telegram_id.0)),
        db,
    )
    .await?)
}

/// Links `phone` to `telegram_id`, creating the user if the phone is new. A phone has one account
/// and an account one phone: whatever either was linked to before is unlinked.
pub(crate) async fn link(
    db: &DatabaseConnection,
    phone: &Phone,
    telegram_id: TelegramId,
    profile: Profile,
    takeover: Takeover,
) -> Result<Linked> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let by_phone = row_by_phone(&txn, phone).await?;
    let taken = by_phone
        .as_ref()
        .and_then(|u| u.telegram_id)
        .is_some_and(|owner| owner != telegram_id.0);
    if taken && takeover == Takeover::Refused {
        return Err(Error::PhoneTaken);
    }
    let by_account = row_by_telegram_id(&txn, telegram_id).await?;

    let mut previous = None;
    if let Some(other) = by_account.filter(|u| Some(u.id) != by_phone.as_ref().map(|p| p.id)) {
        let mut other: ActiveModel = other.into();
        other.telegram_id = Set(None);
        other.updated_at = Set(now);
        previous = Some(user_of(other.update(&txn).await?));
    }

    let (user, moved_from) = match by_phone {
        Some(existing) => {
            let moved_from = existing
                .telegram_id
                .filter(|&id| id != telegram_id.0)
                .map(TelegramId);
            let mut user: ActiveModel = existing.into();
            user.telegram_id = Set(Some(telegram_id.0));
            // A link without a profile (an integration's call) keeps the names it had.
            if let Some((first, last)) = profile.telegram_name {
                user.first_name = Set(Some(first));
                user.last_name = Set(last);
            }
            if let Some(full_name) = profile.full_name {
                user.full_name = Set(Some(full_name.into_string()));
            }
            if profile.username.is_some() {
                user.username = Set(profile.username);
            }
            if profile.language.is_some() {
                user.language = Set(profile.language);
            }
            if moved_from.is_some() {
                // The new owner has not proven anything yet.
                user.is_verified = Set(false);
            }
            user.updated_at = Set(now);
            (user.update(&txn).await?, moved_from)
        }
        None => {
            let (first_name, last_name) = profile.telegram_name.unzip();
            let user = ActiveModel {
                language: Set(profile.language),
                first_name: Set(first_name),
                last_name: Set(last_name.flatten()),
                full_name: Set(profile.full_name.map(FullName::into_string)),
                username: Set(profile.username),
                ..new_row(phone, Some(telegram_id), now)
            };
            (user.insert(&txn).await?, None)
        }
    };
    txn.commit().await?;
    Ok(Linked {
        user: user_of(user),
        moved_from,
        previous,
    })
}

/// Remembers the language an account chose (`/language`); `None` when it has no row yet.
pub(crate) async fn set_language(
    db: &DatabaseConnection,
    telegram_id: TelegramId,
    language: Lang,
) -> Result<Option<User>> {
    let updated = Users::update_many()
        .col_expr(Column::Language, Expr::value(language.code()))
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::TelegramId.eq(telegram_id.0))
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next().map(user_of))
}

/// Applies what the customer changed, in one statement; `None` when the user is gone.
pub(crate) async fn change_profile(
    db: &DatabaseConnection,
    id: Uuid,
    change: ProfileChange,
) -> Result<Option<User>> {
    let mut update = Users::update_many()
        .col_expr(Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(Column::Id.eq(id));
    if let Some(full_name) = change.full_name {
        update = update.col_expr(Column::FullName, Expr::value(full_name.into_string()));
    }
    if let Some(language) = change.language {
        update = update.col_expr(Column::Language, Expr::value(language.code()));
    }
    Ok(update
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .map(user_of))
}

/// Inserts unverified users for phone ↔ account pairs; phones that already have a row are left
/// as they are.
pub(crate) async fn insert_linked(
    db: &DatabaseConnection,
    pairs: &[(Phone, TelegramId)],
) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let rows = pairs
        .iter()
        .map(|(phone, telegram_id)| new_row(phone, Some(*telegram_id), now));
    Users::insert_many(rows)
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Marks the phone's user verified and logged in now; `None` when the phone has no row.
pub(crate) async fn record_login(db: &DatabaseConnection, phone: &Phone) -> Result<Option<User>> {
    record_login_where(db, Column::Phone.eq(phone.as_str())).await
}

/// The same, for the user with this id (a one-tap login names the user, not the phone).
pub(crate) async fn record_login_by_id(db: &DatabaseConnection, id: Uuid) -> Result<Option<User>> {
    record_login_where(db, Column::Id.eq(id)).await
}

async fn record_login_where(
    db: &DatabaseConnection,
    which: sea_orm::sea_query::SimpleExpr,
) -> Result<Option<User>> {
    let now = Utc::now();
    let updated = Users::update_many()
        .col_expr(Column::IsVerified, Expr::value(true))
        .col_expr(
            Column::VerifiedAt,
            Expr::col(Column::VerifiedAt).if_null(now),
        )
        .col_expr(Column::LastLoginAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(which)
        .exec_with_returning(db)
        .await?;
    Ok(updated.into_iter().next().map(user_of))
}

/// Creates a user who has just logged in (their row was lost while Redis kept the binding,
/// e.g. after a database restore).
pub(crate) async fn create_logged_in(
    db: &DatabaseConnection,
    phone: &Phone,
    telegram_id: Option<TelegramId>,
) -> Result<User> {
    let now = Utc::now();
    let user = ActiveModel {
        is_verified: Set(true),
        verified_at: Set(Some(now)),
        last_login_at: Set(Some(now)),
        ..new_row(phone, telegram_id, now)
    };
    Ok(user_of(user.insert(db).await?))
}

/// A new, unverified user with no names or language yet, made at `now`.
fn new_row(phone: &Phone, telegram_id: Option<TelegramId>, now: DateTime<Utc>) -> ActiveModel {
    ActiveModel {
        id: Set(Uuid::new_v4()),
        telegram_id: Set(telegram_id.map(|id| id.0)),
        phone: Set(phone.as_str().to_string()),
        is_verified: Set(false),
        language: Set(None),
        first_name: Set(None),
        last_name: Set(None),
        full_name: Set(None),
        username: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        verified_at: Set(None),
        last_login_at: Set(None),
    }
}
