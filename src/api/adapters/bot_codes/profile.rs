//! The customer's profile as the site shows and edits it (`me/`).

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::session::{SiteUser, unauthenticated};
use crate::{
    api::adapters::{Detail, DetailBody, DetailShape, RawBody},
    core::profile::{self, ProfileChange},
    domain::{FullName, Lang, User as Customer},
    error::Error,
    state::AppState,
};

/// The user as this integration shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::User)]
pub(super) struct User {
    id: Uuid,
    /// The Telegram username, if the account has one.
    username: Option<String>,
    /// The shop's name for the customer (its bot's or the site's), else Telegram's first and
    /// last name.
    #[schema(example = "Aziza Karimova")]
    full_name: Option<String>,
    /// The full name, else the username, else the masked phone.
    #[schema(example = "Aziza Karimova")]
    display_name: String,
    /// E.164.
    #[schema(example = "+998901234567")]
    phone_number: String,
    telegram_id: Option<i64>,
    is_verified: bool,
    /// `uz`, `ru` or `en`.
    #[schema(example = "uz")]
    language: &'static str,
    created_at: DateTime<Utc>,
    last_login: Option<DateTime<Utc>>,
}

impl User {
    pub(super) fn new(user: &Customer, default_language: Lang) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            full_name: profile::full_name(user),
            display_name: profile::display_name(user),
            phone_number: user.phone.as_str().to_string(),
            telegram_id: user.telegram_id.map(|id| id.0),
            is_verified: user.is_verified,
            language: user.language.unwrap_or(default_language).code(),
            created_at: user.created_at,
            last_login: user.last_login_at,
        }
    }
}

/// The current user (older integration)
#[utoipa::path(
    get,
    path = "/api/v1/auth/me/",
    tag = "legacy",
    operation_id = "bot_codes_me",
    security(("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 200, description = "The session's user.", body = User),
        (status = 401, description = "No valid access token, or the session is closed.", body = DetailBody),
        (status = 403, description = "Asked by a browser from another site.", body = DetailBody),
    )
)]
pub(super) async fn me(State(state): State<AppState>, SiteUser(claims): SiteUser) -> Response {
    match state.profiles.of(claims.sub).await {
        Ok(user) => Json(User::new(&user, state.bot.default_language)).into_response(),
        Err(Error::Unauthorized) => unauthenticated("User not found"),
        Err(err) => Detail::from(err).into_response(),
    }
}

/// What the site may change; other fields are ignored.
#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::ProfileChange)]
#[allow(dead_code)]
pub(super) struct Change {
    #[schema(example = "Aziza Karimova")]
    full_name: Option<String>,
    /// `uz`, `ru` or `en`.
    #[schema(example = "ru")]
    language: Option<String>,
}

/// Per-field messages, as the site shows them next to its form fields.
type FieldErrors = BTreeMap<&'static str, Vec<String>>;

/// Reads a PATCH body: every known field is checked and every problem reported at once.
fn read_change(body: &Bytes) -> Result<ProfileChange, FieldErrors> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ProfileChange::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| {
        FieldErrors::from([(
            "non_field_errors",
            vec![format!("JSON parse error - {err}")],
        )])
    })?;
    let Value::Object(fields) = value else {
        return Err(FieldErrors::from([(
            "non_field_errors",
            vec!["Invalid data. Expected a dictionary.".to_string()],
        )]));
    };
    let mut errors = FieldErrors::new();
    let mut change = ProfileChange::default();
    let text = |name: &'static str, errors: &mut FieldErrors| match fields.get(name) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => {
            errors.insert(name, vec!["This field may not be null.".into()]);
            None
        }
        Some(_) => {
            errors.insert(name, vec!["Not a valid string.".into()]);
            None
        }
    };
    if let Some(name) = text("full_name", &mut errors) {
        match FullName::parse(&name) {
            Ok(name) => change.full_name = Some(name),
            Err(err) => {
                errors.insert("full_name", vec![err.to_string()]);
            }
        }
    }
    if let Some(code) = text("language", &mut errors) {
        match Lang::ALL.into_iter().find(|l| l.code() == code) {
            Some(lang) => change.language = Some(lang),
            None => {
                let choice = serde_json::to_string(&code).unwrap_or_default();
                errors.insert("language", vec![format!("{choice} is not a valid choice.")]);
            }
        }
    }
    if errors.is_empty() {
        Ok(change)
    } else {
        Err(errors)
    }
}

/// Change the current user's name or language (older integration)
#[utoipa::path(
    patch,
    path = "/api/v1/auth/me/",
    tag = "legacy",
    operation_id = "bot_codes_change_me",
    request_body = Option<Change>,
    security(("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 200, description = "The updated user.", body = User),
        (status = 400, description = "An invalid field: `{\"<field>\": [\"<message>\"]}`; or the \
            body is not JSON.", body = BTreeMap<String, Vec<String>>),
        (status = 401, description = "No valid access token, or the session is closed.", body = DetailBody),
        (status = 403, description = "Sent by a browser from another site.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 415, description = "A body that is not `application/json`.", body = DetailBody),
    )
)]
pub(super) async fn change_me(
    State(state): State<AppState>,
    SiteUser(claims): SiteUser,
    RawBody(body, _): RawBody<DetailShape>,
) -> Response {
    let change = match read_change(&body) {
        Ok(change) => change,
        Err(errors) => return (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
    };
    match state.profiles.change(claims.sub, change).await {
        Ok(user) => Json(User::new(&user, state.bot.default_language)).into_response(),
        Err(Error::Unauthorized) => unauthenticated("User not found"),
        Err(err) => Detail::from(err).into_response(),
    }
}
