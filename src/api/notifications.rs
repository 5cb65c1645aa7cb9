//! The shop backend reports orders here (service key required).

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{
    router::{OpenApiRouter, UtoipaMethodRouterExt},
    routes,
};
use uuid::Uuid;

use super::{
    error::{ApiError, ErrorBody},
    extract::{Json, ServiceKey},
};
use crate::{
    core::notify::{self, Order},
    error::Error,
    state::AppState,
};

/// Orders with many items are larger than the API's usual 16 KiB.
const ORDER_BODY_LIMIT: usize = 256 * 1024;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_order).layer(DefaultBodyLimit::max(ORDER_BODY_LIMIT)))
        .routes(routes!(show_notification))
}

#[derive(Serialize, ToSchema)]
pub(super) struct Submitted {
    /// The notification's id, for `GET /api/v1/notifications/{id}`.
    id: Uuid,
    /// `queued`, or `no_recipients` when no chat is subscribed; for a resent order, the
    /// first submission's current status.
    #[schema(example = "queued")]
    status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub(super) struct NotificationView {
    id: Uuid,
    shop_id: Uuid,
    order_id: String,
    /// `queued`, `sending`, `sent`, `partial`, `failed` or `no_recipients`.
    #[schema(example = "sent")]
    status: &'static str,
    created_at: DateTime<Utc>,
    deliveries: Vec<DeliveryView>,
}

/// The message to one chat.
#[derive(Serialize, ToSchema)]
pub(super) struct DeliveryView {
    chat_id: i64,
    /// `queued`, `retrying`, `sent`, `failed`, `inactive` (the chat left or blocked the bot) or
    /// `unknown` (sent, but no answer came back: not sent again).
    #[schema(example = "sent")]
    status: String,
    attempts: i32,
    sent_at: Option<DateTime<Utc>>,
    /// Telegram's last complaint, when it had one.
    error: Option<String>,
}

/// Report a new order
///
/// The order is stored and the shop's chats are told about it in the background, each exactly
/// once. Submitting the same `(shop_id, order_id)` again is harmless: it answers `200` with the
/// first submission.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/orders",
    tag = "notifications",
    request_body = Order,
    security(("service_key" = [])),
    responses(
        (status = 202, description = "Accepted; the messages are on their way.", body = Submitted),
        (status = 200, description = "Already submitted; nothing new is sent.", body = Submitted),
        (status = 400, description = "`invalid_request`: not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`shop_not_found`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: over 256 KiB.", body = ErrorBody),
        (status = 415, description = "`invalid_request`: the body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a field is missing, has the wrong type or an \
            unacceptable value; the message names it.", body = ErrorBody),
    )
)]
async fn submit_order(
    _: ServiceKey,
    State(state): State<AppState>,
    Json(order): Json<Order>,
) -> Result<Response, ApiError> {
    let submitted = state.notifications.submit(order).await?;
    let status = if submitted.created {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(Submitted {
            id: submitted.id,
            status: submitted.status.as_str(),
        }),
    )
        .into_response())
}

/// Where a notification's messages are
#[utoipa::path(
    get,
    path = "/api/v1/notifications/{id}",
    tag = "notifications",
    params(("id" = Uuid, Path, description = "The notification's id.")),
    security(("service_key" = [])),
    responses(
        (status = 200, description = "The notification and its deliveries.", body = NotificationView),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`notification_not_found`", body = ErrorBody),
    )
)]
async fn show_notification(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id.parse().map_err(|_| Error::NotificationNotFound)?;
    let view = state.notifications.view(id).await?;
    let deliveries = view
        .deliveries
        .iter()
        .map(|d| DeliveryView {
            chat_id: d.chat_id,
            status: notify::public_status(d).as_str().to_string(),
            attempts: d.attempts,
            sent_at: d.sent_at,
            error: d.last_error.clone(),
        })
        .collect();
    Ok(axum::Json(NotificationView {
        id: view.notification.id,
        shop_id: view.notification.shop_id,
        order_id: view.notification.order_id,
        status: view.status.as_str(),
        created_at: view.notification.created_at,
        deliveries,
    })
    .into_response())
}
