//! `POST /telegram/webhook`: Telegram's updates in webhook mode.

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use teloxide::types::Update;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ErrorBody};
use crate::{bot, config::TelegramMode, core::replicas, error::Error, state::AppState};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

/// Updates are small; Telegram's biggest (a long message with its entities) stays far below.
const UPDATE_LIMIT: usize = 1024 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_update))
}

#[derive(Serialize, ToSchema)]
pub(super) struct Received {
    ok: bool,
    /// Present (true) when this `update_id` was received before and is ignored.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    duplicate: bool,
}

/// Telegram's updates (webhook mode)
///
/// Checks the secret, drops an update seen before, and answers at once; the update is handled
/// in the background (Telegram waits for the answer before sending the next one).
#[utoipa::path(
    post,
    path = "/telegram/webhook",
    tag = "operations",
    request_body(content = Object, description = "A Telegram `Update`."),
    security(("telegram_secret" = [])),
    responses(
        (status = 200, description = "Received.", body = Received),
        (status = 400, description = "`invalid_request`: not a Telegram update.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the secret header is missing or wrong.", body = ErrorBody),
        (status = 404, description = "`not_found`: the service runs in polling mode.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over 1 MiB.", body = ErrorBody),
    )
)]
async fn receive_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let TelegramMode::Webhook { secret, .. } = &state.bot.mode else {
        return Err(ApiError::NotFound);
    };
    let presented = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !secret.matches(presented) {
        return Err(Error::Unauthorized.into());
    }
    // Read only once the secret matched: a stranger cannot make otpgram buffer a megabyte.
    let body = axum::body::to_bytes(body, UPDATE_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let bot = state.telegram.bot().clone();
    let update: Update = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidRequest {
        status: StatusCode::BAD_REQUEST,
        message: format!("not a Telegram update: {e}"),
    })?;
    if !replicas::first_sighting(&state.redis, update.id.0).await? {
        let duplicate = Received {
            ok: true,
            duplicate: true,
        };
        return Ok(axum::Json(duplicate).into_response());
    }
    let tasks = state.tasks.clone();
    tasks.spawn_job("webhook update", bot::webhook::handle(state, bot, update));
    Ok(axum::Json(Received {
        ok: true,
        duplicate: false,
    })
    .into_response())
}
