//! Adapter 1: the shop's own bot asks the backend for a code (shared secret), delivers it
//! itself, and the site registers the user with it.
//!
//! - `POST /api/v1/auth/telegram/otp/create/` `{"secret_key","telegram_id","phone_number"}` →
//!   `{"success":true,"code","expires_at","remaining_seconds"}` (off unless `BOT_SECRET` is set)
//! - `POST /api/v1/auth/register/telegram/` `{"phone","code"}` → `201` with the user and tokens,
//!   as body and cookies (the refresh cookie scoped to `/api/v1/auth/refresh/`)
//! - `POST /api/v1/auth/refresh/` `{"refresh"}` or the cookie → `{"access","refresh"}`
//!
//! Errors: `{"success":false,"error":"..."}`. The site's session endpoints (`me/`, `logout/`)
//! are in [`super::site_session`].

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest, Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use std::time::Duration;

use chrono::SubsecRound;

use super::{site_session::User, telegram_id::AnyTelegramId};
use crate::{
    api::{
        cookies,
        error::{object_or_null, set_retry_after},
        same_origin,
    },
    binding,
    crypto::constant_time_eq,
    domain::{FullName, InvalidName, Phone},
    error::Error,
    otp,
    profile::Profile,
    session,
    state::AppState,
};

pub const REFRESH_PATH: &str = "/api/v1/auth/refresh/";

pub fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // Register sets the session's cookies, refresh reads them.
    let refused = |status, message: &'static str| failure(status, message, None);
    let registering = same_origin::guard(
        OpenApiRouter::new().routes(routes!(register)),
        state,
        refused,
    );
    let refreshing = same_origin::guard(
        OpenApiRouter::new().routes(routes!(refresh)),
        state,
        refused,
    );
    let routes = OpenApiRouter::new()
        .routes(routes!(create_code))
        .merge(registering);
    crate::api::rate_limit::per_ip(routes, state, |retry_after| {
        failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, try again later",
            Some(retry_after),
        )
    })
    .merge(refreshing)
}

/// This integration's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Failure)]
pub struct Failure {
    /// Always false.
    success: bool,
    #[schema(example = "Invalid or expired code")]
    error: String,
}

/// `{"success":false,"error":...}` with a status (and `Retry-After` when limited).
fn failure(status: StatusCode, error: &str, retry_after: Option<Duration>) -> Response {
    let body = Failure {
        success: false,
        error: error.to_string(),
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(after) = retry_after {
        set_retry_after(&mut response, after);
    }
    response
}

fn from_core(err: Error) -> Response {
    match err {
        Error::InvalidPhone => failure(StatusCode::BAD_REQUEST, "Invalid phone number", None),
        Error::InvalidCode => failure(StatusCode::BAD_REQUEST, "Invalid or expired code", None),
        Error::PhoneTaken => failure(
            StatusCode::CONFLICT,
            "This phone number is linked to another Telegram account",
            None,
        ),
        Error::RateLimited { retry_after } => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, try again later",
            Some(retry_after),
        ),
        Error::TooManyAttempts { retry_after } => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts, request a new code",
            retry_after,
        ),
        Error::Unauthorized | Error::TokenReused => {
            failure(StatusCode::UNAUTHORIZED, "Invalid or expired token", None)
        }
        Error::Unavailable { dependency, source } => {
            tracing::warn!(dependency, error = %source, "dependency unavailable");
            failure(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable",
                None,
            )
        }
        other => {
            tracing::error!(error = ?other, "adapter request failed");
            failure(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", None)
        }
    }
}

/// The body as bytes (parsed by each handler, after its checks); one over the size limit is
/// `413` in this integration's shape.
struct Raw(Bytes);

impl FromRequest<AppState> for Raw {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        Bytes::from_request(req, state)
            .await
            .map(Raw)
            .map_err(|rejection| failure(rejection.status(), &rejection.body_text(), None))
    }
}

/// Parses a JSON body; a malformed one is `400 {"success":false}` naming the field (boxed: a
/// response is large).
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    if !object_or_null(body) {
        return Err(Box::new(failure(
            StatusCode::BAD_REQUEST,
            "Invalid request: expected a JSON object",
            None,
        )));
    }
    // axum's reader names the field that is wrong (`telegram_id: …`).
    axum::Json::<T>::from_bytes(body)
        .map(|axum::Json(value)| value)
        .map_err(|rejection| {
            Box::new(failure(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request: {}", rejection.body_text()),
                None,
            ))
        })
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::CreateCode)]
pub struct CreateCode {
    /// `BOT_SECRET`. Read and checked before the rest of the body is looked at.
    #[serde(rename = "secret_key")]
    #[allow(dead_code)]
    _secret_key: String,
    telegram_id: AnyTelegramId,
    /// At least 9 digits.
    #[schema(example = "+998901234567")]
    phone_number: String,
    /// The customer's name as the shop knows it; kept on the user, before Telegram's.
    #[schema(example = "Aziza Karimova")]
    #[serde(default)]
    full_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::CodeCreated)]
pub struct CodeCreated {
    /// Always true.
    success: bool,
    /// The code, for the calling bot to deliver.
    #[schema(example = "482913")]
    code: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    remaining_seconds: u64,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Register)]
pub struct Register {
    #[schema(example = "+998901234567")]
    phone: String,
    #[schema(example = "482913")]
    code: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Registered)]
pub struct Registered {
    /// Always true.
    success: bool,
    #[schema(example = "User registered successfully")]
    message: &'static str,
    data: RegisteredData,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::RegisteredData)]
pub struct RegisteredData {
    user: User,
    tokens: Pair,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Refresh)]
pub struct Refresh {
    /// Without it, the `refresh_token` cookie is used.
    #[serde(default)]
    refresh: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Pair)]
pub struct Pair {
    access: String,
    refresh: String,
}

impl From<&session::TokenPair> for Pair {
    fn from(pair: &session::TokenPair) -> Self {
        Self {
            access: pair.access_token.clone(),
            refresh: pair.refresh_token.clone(),
        }
    }
}

/// Create a code for the calling bot to deliver (older integration)
///
/// Off unless `BOT_SECRET` is set. The bot vouches for the account ↔ phone pair.
#[utoipa::path(
    post,
    path = "/api/v1/auth/telegram/otp/create/",
    tag = "legacy",
    operation_id = "bot_codes_create_code",
    request_body = CreateCode,
    responses(
        (status = 200, description = "The code.", body = CodeCreated),
        (status = 400, description = "Not JSON of this shape, or an invalid phone number.", body = Failure),
        (status = 403, description = "Wrong or missing `secret_key`.", body = Failure),
        (status = 409, description = "The phone is linked to another Telegram account: no code.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 429, description = "Too many codes or requests.", body = Failure),
    )
)]
async fn create_code(State(state): State<AppState>, Raw(body): Raw) -> Response {
    // The secret is checked before anything else is looked at.
    let presented = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["secret_key"].as_str().map(str::to_string))
        .unwrap_or_default();
    let authorised = state
        .config
        .legacy
        .bot_secret
        .as_ref()
        .is_some_and(|secret| constant_time_eq(presented.as_bytes(), secret.expose().as_bytes()));
    super::log_secret_call("/api/v1/auth/telegram/otp/create/", authorised);
    if !authorised {
        return failure(StatusCode::FORBIDDEN, "Unauthorized", None);
    }
    let body: CreateCode = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    if body
        .phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        < 9
    {
        return failure(
            StatusCode::BAD_REQUEST,
            "Phone number must have at least 9 digits",
            None,
        );
    }
    let Ok(phone) = Phone::parse(
        &body.phone_number,
        state.config.otp.default_country_code.as_deref(),
    ) else {
        return from_core(Error::InvalidPhone);
    };
    // A blank name is no name; any other is kept as given, or refused.
    let full_name = match body.full_name.as_deref().map(FullName::parse) {
        None | Some(Err(InvalidName::Blank)) => None,
        Some(Ok(name)) => Some(name),
        Some(Err(err)) => {
            return failure(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request: full_name: {err}"),
                None,
            );
        }
    };
    let profile = Profile {
        full_name,
        ..Profile::default()
    };
    // The calling bot vouches for the account ↔ phone pair; a phone linked to another account
    // is not taken.
    if let Err(err) = binding::link_vouched(&state, &phone, body.telegram_id.0, profile).await {
        return from_core(err);
    }
    match otp::create_code_for_bot(&state, &phone).await {
        Ok((code, ttl)) => {
            let expires_at =
                chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
            Json(CodeCreated {
                success: true,
                code,
                expires_at: expires_at.trunc_subsecs(0),
                remaining_seconds: ttl.as_secs(),
            })
            .into_response()
        }
        Err(err) => from_core(err),
    }
}

/// Register (or log in) with a code from the bot (older integration)
///
/// The tokens come in the body and as httpOnly cookies (the refresh cookie scoped to
/// `/api/v1/auth/refresh/`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/register/telegram/",
    tag = "legacy",
    operation_id = "bot_codes_register",
    request_body = Register,
    responses(
        (status = 201, description = "Logged in.", body = Registered),
        (status = 400, description = "Not JSON of this shape, an invalid phone, or an invalid or \
            expired code.", body = Failure),
        (status = 403, description = "Posted by a browser from another site.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 415, description = "A body that is not `application/json`.", body = Failure),
        (status = 429, description = "Too many attempts or requests.", body = Failure),
    )
)]
async fn register(State(state): State<AppState>, jar: CookieJar, Raw(body): Raw) -> Response {
    let body: Register = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Ok(phone) = Phone::parse(
        &body.phone,
        state.config.otp.default_country_code.as_deref(),
    ) else {
        return from_core(Error::InvalidPhone);
    };
    match otp::verify_code(&state, &phone, body.code.trim()).await {
        Ok(login) => {
            let jar = cookies::with_tokens_at(
                jar,
                &login.tokens,
                state.config.http.cookie_secure,
                REFRESH_PATH,
            );
            let body = Registered {
                success: true,
                message: "User registered successfully",
                data: RegisteredData {
                    user: User::new(&login.user, state.config.telegram.default_language),
                    tokens: Pair::from(&login.tokens),
                },
            };
            (StatusCode::CREATED, jar, Json(body)).into_response()
        }
        Err(err) => from_core(err),
    }
}

/// Rotate a refresh token (older integration)
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh/",
    tag = "legacy",
    operation_id = "bot_codes_refresh",
    request_body = Option<Refresh>,
    responses(
        (status = 200, description = "A new pair; the cookies are set again.", body = Pair),
        (status = 400, description = "Not JSON of this shape.", body = Failure),
        (status = 401, description = "No valid refresh token, or a used one.", body = Failure),
        (status = 403, description = "Posted by a browser from another site.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 415, description = "A body that is not `application/json`.", body = Failure),
    )
)]
async fn refresh(State(state): State<AppState>, jar: CookieJar, Raw(body): Raw) -> Response {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match parse::<Option<Refresh>>(&body) {
            Ok(b) => b.and_then(|b| b.refresh),
            Err(response) => return *response,
        }
    };
    let Some(token) = from_body.or_else(|| {
        jar.get(cookies::REFRESH_COOKIE)
            .map(|c| c.value().to_string())
    }) else {
        return from_core(Error::Unauthorized);
    };
    match session::refresh(&state, &token).await {
        Ok((_, pair)) => {
            let jar =
                cookies::with_tokens_at(jar, &pair, state.config.http.cookie_secure, REFRESH_PATH);
            (jar, Json(Pair::from(&pair))).into_response()
        }
        Err(err) => from_core(err),
    }
}
