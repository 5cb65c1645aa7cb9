//! Adapter 1: the shop's own bot asks the backend for a code (shared secret), delivers it
//! itself, and the site registers the user with it.
//!
//! - `POST /api/v1/auth/telegram/otp/create/` `{"secret_key","telegram_id","phone_number"}` →
//!   `{"success":true,"code","expires_at","remaining_seconds"}` (off unless `BOT_SECRET` is set)
//! - `POST /api/v1/auth/register/telegram/` `{"phone","code"}` → `201` with the user and tokens,
//!   as body and cookies (the refresh cookie scoped to `/api/v1/auth/refresh/`)
//! - `POST /api/v1/auth/refresh/` `{"refresh"}` or the cookie → `{"access","refresh"}`
//!
//! Errors: `{"success":false,"error":"..."}`.

use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::{auth::user_view, cookies},
    binding,
    crypto::constant_time_eq,
    domain::Phone,
    error::Error,
    otp, session,
    state::AppState,
    users::Profile,
};

const REFRESH_PATH: &str = "/api/v1/auth/refresh/";

pub fn router(state: &AppState) -> Router<AppState> {
    let routes = Router::new()
        .route("/api/v1/auth/telegram/otp/create/", post(create_code))
        .route("/api/v1/auth/register/telegram/", post(register));
    crate::api::rate_limit::per_ip(
        routes,
        state.config.rate_limit_per_ip_per_minute,
        crate::api::extract::ClientIp {
            trust_proxy_headers: state.config.trust_proxy_headers,
        },
    )
    .route("/api/v1/auth/refresh/", post(refresh))
}

/// `{"success":false,"error":...}` with a status (and `Retry-After` when limited).
fn failure(status: StatusCode, error: &str, retry_after: Option<u64>) -> Response {
    let mut response = (status, Json(json!({ "success": false, "error": error }))).into_response();
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn from_core(err: Error) -> Response {
    match err {
        Error::InvalidPhone => failure(StatusCode::BAD_REQUEST, "Invalid phone number", None),
        Error::InvalidCode => failure(StatusCode::BAD_REQUEST, "Invalid or expired code", None),
        Error::RateLimited { retry_after } => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, try again later",
            Some(retry_after.as_secs()),
        ),
        Error::TooManyAttempts { retry_after } => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts, request a new code",
            retry_after.map(|d| d.as_secs()),
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

/// Parses a JSON body; a malformed one is `400 {"success":false}` (boxed: a response is large).
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(failure(
            StatusCode::BAD_REQUEST,
            &format!("Invalid request: {e}"),
            None,
        ))
    })
}

/// (`secret_key` is read and checked before the rest is parsed.)
#[derive(Deserialize)]
struct CreateCode {
    telegram_id: i64,
    phone_number: String,
}

async fn create_code(State(state): State<AppState>, body: Bytes) -> Response {
    // The secret is checked before anything else is looked at.
    let presented = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["secret_key"].as_str().map(str::to_string))
        .unwrap_or_default();
    let authorised =
        state.config.bot_secret.as_ref().is_some_and(|secret| {
            constant_time_eq(presented.as_bytes(), secret.expose().as_bytes())
        });
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
        state.config.default_country_code.as_deref(),
    ) else {
        return from_core(Error::InvalidPhone);
    };
    // The calling bot vouches for the account ↔ phone pair.
    if let Err(err) =
        binding::link_phone(&state, &phone, body.telegram_id, Profile::default()).await
    {
        return from_core(err);
    }
    match otp::create_code_for_bot(&state, &phone, body.telegram_id).await {
        Ok((code, ttl)) => {
            let expires_at =
                chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
            Json(json!({
                "success": true,
                "code": code,
                "expires_at": expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "remaining_seconds": ttl.as_secs(),
            }))
            .into_response()
        }
        Err(err) => from_core(err),
    }
}

#[derive(Deserialize)]
struct Register {
    phone: String,
    code: String,
}

async fn register(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    let body: Register = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Ok(phone) = Phone::parse(&body.phone, state.config.default_country_code.as_deref()) else {
        return from_core(Error::InvalidPhone);
    };
    match otp::verify_code(&state, &phone, body.code.trim()).await {
        Ok(login) => {
            let jar = cookies::with_tokens_at(
                jar,
                &login.tokens,
                state.config.cookie_secure,
                REFRESH_PATH,
            );
            let body = json!({
                "success": true,
                "message": "User registered successfully",
                "data": {
                    "user": user_view(&login.user),
                    "tokens": { "access": login.tokens.access_token, "refresh": login.tokens.refresh_token },
                },
            });
            (StatusCode::CREATED, jar, Json(body)).into_response()
        }
        Err(err) => from_core(err),
    }
}

#[derive(Deserialize)]
struct Refresh {
    #[serde(default)]
    refresh: Option<String>,
}

async fn refresh(State(state): State<AppState>, jar: CookieJar, body: Bytes) -> Response {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match parse::<Refresh>(&body) {
            Ok(b) => b.refresh,
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
            let jar = cookies::with_tokens_at(jar, &pair, state.config.cookie_secure, REFRESH_PATH);
            (
                jar,
                Json(json!({ "access": pair.access_token, "refresh": pair.refresh_token })),
            )
                .into_response()
        }
        Err(err) => from_core(err),
    }
}
