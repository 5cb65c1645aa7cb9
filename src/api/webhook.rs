//! `POST /telegram/webhook`: Telegram's updates in webhook mode.

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;
use teloxide::types::Update;

use super::error::ApiError;
use crate::{bot, config::TelegramMode, crypto::constant_time_eq, error::Error, state::AppState};

const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/telegram/webhook",
        post(receive_update).layer(DefaultBodyLimit::max(1024 * 1024)),
    )
}

/// Checks the secret, drops an update seen before, and answers at once; the update is handled
/// in the background (Telegram waits for the answer before sending the next one).
async fn receive_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let TelegramMode::Webhook { secret, .. } = &state.config.telegram_mode else {
        return Err(ApiError::NotFound);
    };
    let presented = headers
        .get(SECRET_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !constant_time_eq(presented.as_bytes(), secret.expose().as_bytes()) {
        return Err(Error::Unauthorized.into());
    }
    let Some(bot) = state.courier.bot().cloned() else {
        return Err(ApiError::NotFound);
    };
    let update: Update = serde_json::from_slice(&body).map_err(|e| ApiError::InvalidRequest {
        status: StatusCode::BAD_REQUEST,
        message: format!("not a Telegram update: {e}"),
    })?;
    if !state.store.first_sighting(update.id.0).await? {
        return Ok(axum::Json(json!({ "ok": true, "duplicate": true })).into_response());
    }
    tokio::spawn(bot::webhook::handle(state, bot, update));
    Ok(axum::Json(json!({ "ok": true })).into_response())
}
