//! `POST /telegram/gateway/reports`: the Gateway's delivery reports (its `callback_url`).

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::{ApiError, ErrorBody};
use crate::{error::Error, state::AppState, telegram::gateway::RequestStatus};

const TIMESTAMP_HEADER: &str = "x-request-timestamp";
const SIGNATURE_HEADER: &str = "x-request-signature";

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(receive_report))
}

#[derive(Serialize, ToSchema)]
pub(super) struct Accepted {
    ok: bool,
}

/// Telegram Gateway delivery reports
///
/// Accepted only with Telegram's signature: `X-Request-Signature` is the hex HMAC-SHA256, keyed
/// with SHA-256 of the Gateway token, of `X-Request-Timestamp` "\n" the raw body, and the
/// timestamp is within five minutes. A report seen before is answered `200` too (Telegram
/// retries anything else).
#[utoipa::path(
    post,
    path = "/telegram/gateway/reports",
    tag = "operations",
    request_body(content = Object, description = "The Gateway's `RequestStatus`."),
    responses(
        (status = 200, description = "Received.", body = Accepted),
        (status = 400, description = "`invalid_request`: signed, but not a report.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: the signature is missing, wrong or stale.", body = ErrorBody),
        (status = 404, description = "`not_found`: the Gateway channel is off.", body = ErrorBody),
    )
)]
async fn receive_report(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Accepted>, ApiError> {
    let Some(gateway) = &state.gateway else {
        return Err(ApiError::NotFound);
    };
    let header = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let now = chrono::Utc::now().timestamp();
    let signed = gateway.client().report_is_signed(
        header(TIMESTAMP_HEADER),
        header(SIGNATURE_HEADER),
        &body,
        now,
    );
    if !signed {
        return Err(Error::Unauthorized.into());
    }
    let report: RequestStatus =
        serde_json::from_slice(&body).map_err(|e| ApiError::InvalidRequest {
            status: StatusCode::BAD_REQUEST,
            message: format!("not a Gateway report: {e}"),
        })?;
    gateway.report(&report).await?;
    Ok(axum::Json(Accepted { ok: true }))
}
