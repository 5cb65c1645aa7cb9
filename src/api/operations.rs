//! What operators and platforms call: health, readiness, metrics, and this API's description.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ErrorBody},
    extract,
};
use crate::{error::Error, state::AppState};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

#[derive(Serialize, ToSchema)]
pub(super) struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Readiness {
    /// `ready` or `unavailable`.
    #[schema(example = "ready")]
    status: &'static str,
    checks: Checks,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Checks {
    redis: Check,
    database: Check,
    /// Also `ok` when the bot is off (no token, development).
    telegram: Check,
}

/// `"ok"`, or what is wrong.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub(super) enum Check {
    #[schema(example = "ok")]
    Ok(&'static str),
    Failed {
        error: String,
    },
}

impl From<&Option<String>> for Check {
    fn from(problem: &Option<String>) -> Self {
        match problem {
            None => Check::Ok("ok"),
            Some(why) => Check::Failed { error: why.clone() },
        }
    }
}

/// Liveness
///
/// The process is up; nothing else is checked.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "Up.", body = Health))
)]
async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Readiness
///
/// Whether Redis, the database and Telegram answer (each within 2 s).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Everything answers.", body = Readiness),
        (status = 503, description = "Something does not; `checks` says what.", body = Readiness),
    )
)]
async fn readyz(State(state): State<AppState>) -> Response {
    let checks = crate::health::check(&state).await;
    let status = if checks.ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if checks.ok() { "ready" } else { "unavailable" },
        checks: Checks {
            redis: (&checks.redis).into(),
            database: (&checks.database).into(),
            telegram: (&checks.telegram).into(),
        },
    };
    (status, axum::Json(body)).into_response()
}

/// Prometheus metrics
///
/// Behind a bearer token when `METRICS_TOKEN` is set.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    security((), ("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text format.", body = String,
            content_type = "text/plain"),
        (status = 401, description = "`unauthorized`: `METRICS_TOKEN` is set and was not presented.",
            body = ErrorBody),
    )
)]
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.http.metrics_token {
        let presented = extract::bearer(&headers).unwrap_or_default();
        if !token.matches(&presented) {
            return ApiError::from(Error::Unauthorized).into_response();
        }
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::meters::render(),
    )
        .into_response()
}

/// This document
///
/// The OpenAPI 3.1 description of every endpoint, generated from the code.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1.", body = Object))
)]
pub(super) async fn openapi(document: Document) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], document.0).into_response()
}

/// The serialised document, made once when the router is built.
#[derive(Clone)]
pub(super) struct Document(pub Bytes);
