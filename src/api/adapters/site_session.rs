//! Adapter 1, the shop site's side of a session: who is logged in, their profile, logging out.
//! The site keeps the tokens `register/telegram/` gave it and calls these on every page load.
//!
//! - `GET /api/v1/auth/me/` (Bearer or the access cookie) → `200` the user
//! - `PATCH /api/v1/auth/me/` `{"full_name"?, "language"?}` → `200` the updated user; an invalid
//!   field → `400 {"<field>": ["<message>"]}`
//! - `POST /api/v1/auth/logout/` (Bearer) `{"refresh"}` → `200 {"success":true,"message"}`; a bad
//!   refresh token → `400 {"success":false,"error":{"message"}}`
//!
//! No valid access token → `401 {"detail": ...}`: the only answer after which the site drops
//! its tokens.

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Detail, DetailBody, bot_codes::REFRESH_PATH};
use crate::{
    api::{
        cookies::{self, ACCESS_COOKIE},
        extract::bearer_or_cookie,
        same_origin,
    },
    domain::FullName,
    error::Error,
    profile,
    profile::{ProfileChange, UserRecord},
    session::{self, Claims, TokenKind},
    state::AppState,
    telegram::texts::Lang,
};

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // The access cookie authenticates these as well as the header.
    let routes = OpenApiRouter::new()
        .routes(routes!(me, change_me))
        .routes(routes!(logout));
    same_origin::guard(routes, state, |status, message| {
        Detail::new(status, message).into_response()
    })
}

/// The user as this integration shows it.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::User)]
pub struct User {
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
    pub fn new(user: &UserRecord, default_language: Lang) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            full_name: profile::full_name(user),
            display_name: profile::display_name(user),
            phone_number: user.phone.clone(),
            telegram_id: user.telegram_id,
            is_verified: user.is_verified,
            language: user
                .language
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(default_language)
                .code(),
            created_at: user.created_at,
            last_login: user.last_login_at,
        }
    }
}

/// The user behind a valid access token (header, else cookie) of an open session.
struct SiteUser(Claims);

impl FromRequestParts<AppState> for SiteUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = bearer_or_cookie(&parts.headers, ACCESS_COOKIE) else {
            return Err(unauthenticated(
                "Authentication credentials were not provided.",
            ));
        };
        match session::authenticate(state, &token).await {
            Ok(claims) => Ok(SiteUser(claims)),
            Err(Error::Unauthorized) => {
                Err(unauthenticated("Given token not valid for any token type"))
            }
            Err(err) => Err(Detail::from(err).into_response()),
        }
    }
}

/// The body as bytes; one over the size limit is `413` in this integration's shape.
struct RawBody(Bytes);

impl FromRequest<AppState> for RawBody {
    type Rejection = Detail;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Detail> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| Detail::new(rejection.status(), rejection.body_text()))
    }
}

fn unauthenticated(detail: &str) -> Response {
    let mut response = Detail::new(StatusCode::UNAUTHORIZED, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"api\""),
    );
    response
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
async fn me(State(state): State<AppState>, SiteUser(claims): SiteUser) -> Response {
    match profile::of(&state, claims.sub).await {
        Ok(user) => Json(User::new(&user, state.config.telegram.default_language)).into_response(),
        Err(Error::Unauthorized) => unauthenticated("User not found"),
        Err(err) => Detail::from(err).into_response(),
    }
}

/// What the site may change; other fields are ignored.
#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::ProfileChange)]
#[allow(dead_code)]
pub struct Change {
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
async fn change_me(
    State(state): State<AppState>,
    SiteUser(claims): SiteUser,
    RawBody(body): RawBody,
) -> Response {
    let change = match read_change(&body) {
        Ok(change) => change,
        Err(errors) => return (StatusCode::BAD_REQUEST, Json(errors)).into_response(),
    };
    match profile::change(&state, claims.sub, change).await {
        Ok(user) => Json(User::new(&user, state.config.telegram.default_language)).into_response(),
        Err(Error::Unauthorized) => unauthenticated("User not found"),
        Err(err) => Detail::from(err).into_response(),
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Logout)]
#[allow(dead_code)]
pub struct Logout {
    /// The session's refresh token.
    refresh: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LoggedOut)]
pub struct LoggedOut {
    /// Always true.
    success: bool,
    #[schema(example = "Successfully logged out")]
    message: &'static str,
}

/// This endpoint's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LogoutFailure)]
pub struct LogoutFailure {
    /// Always false.
    success: bool,
    error: LogoutError,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LogoutError)]
pub struct LogoutError {
    #[schema(example = "Invalid or expired refresh token")]
    message: &'static str,
}

fn bad_refresh(message: &'static str) -> Response {
    let body = LogoutFailure {
        success: false,
        error: LogoutError { message },
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Log out (older integration)
///
/// Ends the session at once: its access and refresh tokens stop working. The cookies are
/// cleared.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout/",
    tag = "legacy",
    operation_id = "bot_codes_logout",
    request_body = Logout,
    security(("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 200, description = "Logged out.", body = LoggedOut),
        (status = 400, description = "No refresh token, or not one of this user's sessions.", body = LogoutFailure),
        (status = 401, description = "No valid access token, or the session is closed.", body = DetailBody),
        (status = 403, description = "Posted by a browser from another site.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 415, description = "A body that is not `application/json`.", body = DetailBody),
    )
)]
async fn logout(
    State(state): State<AppState>,
    SiteUser(access): SiteUser,
    jar: CookieJar,
    RawBody(body): RawBody,
) -> Response {
    let presented = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|body| {
            body.get("refresh")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
    let Some(presented) = presented else {
        return bad_refresh("Refresh token is required");
    };
    // Only a refresh token of the caller's own sessions is accepted.
    let refresh = match state.tokens.decode(&presented, TokenKind::Refresh) {
        Ok(claims) if claims.sub == access.sub => claims,
        _ => return bad_refresh("Invalid or expired refresh token"),
    };
    let mut ended = session::revoke(&state, &refresh).await;
    if ended.is_ok() && access.sid != refresh.sid {
        ended = session::revoke(&state, &access).await;
    }
    if let Err(err) = ended {
        return Detail::from(err).into_response();
    }
    let jar = cookies::cleared_at(jar, state.config.http.cookie_secure, REFRESH_PATH);
    let body = LoggedOut {
        success: true,
        message: "Successfully logged out",
    };
    (jar, Json(body)).into_response()
}
