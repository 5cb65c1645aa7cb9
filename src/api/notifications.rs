//! The shop backend reports orders here (service key required).

use axum::{
    Router,
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{
    error::ApiError,
    extract::{Json, ServiceKey},
};
use crate::{
    error::Error,
    notify::{self, Order, deliveries},
    state::AppState,
};

/// Orders with many items are larger than the API's usual 16 KiB.
const ORDER_BODY_LIMIT: usize = 256 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/notifications/orders",
            post(submit_order).layer(DefaultBodyLimit::max(ORDER_BODY_LIMIT)),
        )
        .route("/api/v1/notifications/{id}", get(show_notification))
}

async fn submit_order(
    _: ServiceKey,
    State(state): State<AppState>,
    Json(order): Json<Order>,
) -> Result<Response, ApiError> {
    let submitted = notify::submit(&state, order).await?;
    let status = if submitted.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(json!({ "id": submitted.id, "status": submitted.status })),
    )
        .into_response())
}

async fn show_notification(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id.parse().map_err(|_| Error::NotificationNotFound)?;
    let view = notify::view(&state, id).await?;
    let deliveries: Vec<Value> = view
        .deliveries
        .iter()
        .map(|d| {
            json!({
                "chat_id": d.chat_id,
                "status": deliveries::public_status(d),
                "attempts": d.attempts,
                "sent_at": d.sent_at,
                "error": d.last_error,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "id": view.notification.id,
        "shop_id": view.notification.shop_id,
        "order_id": view.notification.order_id,
        "status": view.status,
        "created_at": view.notification.created_at,
        "deliveries": deliveries,
    }))
    .into_response())
}
