//! Adapter 1: the shop's own bot asks the backend for a code (shared secret), delivers it
//! itself, and the site registers the user with it.
//!
//! - `POST /api/v1/auth/telegram/otp/create/` `{"secret_key","telegram_id","phone_number"}` →
//!   `{"success":true,"code","expires_at","remaining_seconds"}` (off unless `BOT_SECRET` is set)
//! - `POST /api/v1/auth/register/telegram/` `{"phone","code"}` → `201` with the user and tokens,
//!   as body and cookies (the refresh cookie scoped to `/api/v1/auth/refresh/`)
//! - `POST /api/v1/auth/refresh/` `{"refresh"}` or the cookie → `{"access","refresh"}`
//! - `GET`/`PATCH /api/v1/auth/me/`, `POST /api/v1/auth/logout/`: the site's session on each
//!   page load (see [`profile`] and [`session`]), in the `{"detail": ...}` shape on `401`
//!
//! Errors: `{"success":false,"error":"..."}`.

mod codes;
mod profile;
mod session;

use std::time::Duration;

use axum::{
    Json,
    body::Bytes,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{DetailShape, Shape};
use crate::{
    api::{
        error::{object_or_null, set_retry_after},
        same_origin,
    },
    core::session::TokenPair,
    error::Error,
    state::AppState,
};

pub(crate) const REFRESH_PATH: &str = "/api/v1/auth/refresh/";

pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // Register sets the session's cookies; refresh, logout and `me/` read them.
    let registering = same_origin::guard(
        OpenApiRouter::new().routes(routes!(codes::register)),
        state,
        Flat::refuse,
    );
    let refreshing = same_origin::guard(
        OpenApiRouter::new().routes(routes!(session::refresh)),
        state,
        Flat::refuse,
    );
    let site = same_origin::guard(
        OpenApiRouter::new()
            .routes(routes!(profile::me, profile::change_me))
            .routes(routes!(session::logout)),
        state,
        DetailShape::refuse,
    );
    let routes = OpenApiRouter::new()
        .routes(routes!(codes::create_code))
        .merge(registering);
    crate::http::rate_limit::per_ip(routes, state, |retry_after| {
        failure(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, try again later",
            Some(retry_after),
        )
    })
    .merge(refreshing)
    .merge(site)
}

/// This integration's `{"success":false,"error":...}` shape.
pub(crate) struct Flat;

impl Shape for Flat {
    fn refuse(status: StatusCode, message: &str) -> Response {
        failure(status, message, None)
    }
}

/// This integration's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Failure)]
pub(crate) struct Failure {
    /// Always false.
    success: bool,
    #[schema(example = "Invalid or expired code")]
    error: String,
}

/// `{"success":false,"error":...}` with a status (and `Retry-After` when limited).
pub(super) fn failure(status: StatusCode, error: &str, retry_after: Option<Duration>) -> Response {
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

pub(super) fn from_core(err: Error) -> Response {
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

/// Parses a JSON body; a malformed one is `400 {"success":false}` naming the field (boxed: a
/// response is large).
pub(super) fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Box<Response>> {
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

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Pair)]
pub(crate) struct Pair {
    access: String,
    refresh: String,
}

impl From<&TokenPair> for Pair {
    fn from(pair: &TokenPair) -> Self {
        Self {
            access: pair.access_token.clone(),
            refresh: pair.refresh_token.clone(),
        }
    }
}
