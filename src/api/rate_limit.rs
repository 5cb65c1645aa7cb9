//! The per-IP limit on the code endpoints (tower_governor).

use std::{sync::Arc, time::Duration};

use axum::response::{IntoResponse, Response};
use tower_governor::{GovernorError, GovernorLayer, governor::GovernorConfigBuilder};
use utoipa_axum::router::OpenApiRouter;

use super::{error::ApiError, extract::ClientIp};
use crate::state::AppState;

/// Allows `per_minute` requests per client IP, as a burst that refills evenly over the minute;
/// a refused request is answered by `refused(retry_after)`, in the shape its clients expect.
/// `0` leaves the routes unlimited.
pub fn per_ip(
    routes: OpenApiRouter<AppState>,
    per_minute: u32,
    client_ip: ClientIp,
    refused: fn(Duration) -> Response,
) -> OpenApiRouter<AppState> {
    if per_minute == 0 {
        return routes;
    }
    let period = Duration::from_millis((60_000 / u64::from(per_minute)).max(1));
    let Some(config) = GovernorConfigBuilder::default()
        .key_extractor(client_ip)
        .period(period)
        .burst_size(per_minute)
        .finish()
    else {
        tracing::error!("invalid per-IP rate limit; running without it");
        return routes;
    };
    let config = Arc::new(config);
    // Forget idle clients now and then, so the limiter's memory stays bounded.
    let limiter = config.limiter().clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            limiter.retain_recent();
        }
    });
    routes.layer(GovernorLayer::new(config).error_handler(move |err| {
        match err {
            GovernorError::TooManyRequests { wait_time, .. } => {
                refused(Duration::from_secs(wait_time.max(1)))
            }
            _ => ApiError::Core(crate::error::Error::Internal(anyhow::anyhow!(
                "could not tell the client's address"
            )))
            .into_response(),
        }
    }))
}

/// The `/api/v1` answer to a refused request: `429 rate_limited`.
pub fn refused(retry_after: Duration) -> Response {
    ApiError::TooManyRequests { retry_after }.into_response()
}
