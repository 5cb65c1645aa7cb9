//! The per-address limit on every endpoint that issues or checks a code (the new API and the
//! older shapes alike), in two layers:
//! - a shared allowance in Redis (`addresses::admit`), the limit itself: every replica counts
//!   against the same allowance, and IPv6 clients are counted per /64;
//! - in front of it, the same allowance kept in this process (tower_governor), which refuses a
//!   client far over its limit without a round trip to Redis. It can never be the stricter of
//!   the two: this process sees no more of a client's requests than Redis does.

use std::{net::IpAddr, sync::Arc, time::Duration};

use axum::{
    extract::{Request, State},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use tower_governor::{
    GovernorError, GovernorLayer, governor::GovernorConfigBuilder, key_extractor::KeyExtractor,
};
use utoipa_axum::router::OpenApiRouter;

use super::{error::ApiError, extract::ClientIp};
use crate::{addresses, meters, state::AppState};

/// How an endpoint family answers a refused request (each older shape has its own).
pub(crate) type Refusal = fn(Duration) -> Response;

/// Puts `routes` behind the per-address limit (`RATE_LIMIT_PER_IP_PER_MINUTE`; `0` leaves them
/// unlimited); a refused request is answered by `refused(retry_after)`.
pub(crate) fn per_ip(
    routes: OpenApiRouter<AppState>,
    state: &AppState,
    refused: Refusal,
) -> OpenApiRouter<AppState> {
    let per_minute = state.http.rate_limit_per_ip_per_minute;
    if per_minute == 0 {
        return routes;
    }
    let client_ip = ClientIp::new(&state.http);
    let shared = Shared {
        state: state.clone(),
        client_ip,
        refused,
    };
    let routes = routes.layer(middleware::from_fn_with_state(shared, admit));
    local_guard(routes, state, per_minute, client_ip, refused)
}

#[derive(Clone)]
struct Shared {
    state: AppState,
    client_ip: ClientIp,
    refused: Refusal,
}

/// The shared allowance. When Redis does not answer the request goes on: the endpoint needs
/// Redis too, and answers `503` in its own shape.
async fn admit(State(shared): State<Shared>, req: Request, next: Next) -> Response {
    let Some(ip) = shared.client_ip.of(&req) else {
        return ApiError::Core(crate::error::Error::Internal(anyhow::anyhow!(
            "could not tell the client's address"
        )))
        .into_response();
    };
    match addresses::admit(
        &shared.state.redis,
        shared.state.http.rate_limit_per_ip_per_minute,
        ip,
    )
    .await
    {
        Ok(None) => next.run(req).await,
        Ok(Some(retry_after)) => {
            meters::rate_limited("ip");
            (shared.refused)(retry_after)
        }
        Err(err) => {
            tracing::warn!(error = %err, "per-address limit unavailable");
            next.run(req).await
        }
    }
}

/// The same allowance kept in this process, keyed as the shared one is.
fn local_guard(
    routes: OpenApiRouter<AppState>,
    state: &AppState,
    per_minute: u32,
    client_ip: ClientIp,
    refused: Refusal,
) -> OpenApiRouter<AppState> {
    let period = Duration::from_millis((60_000 / u64::from(per_minute)).max(1));
    let Some(config) = GovernorConfigBuilder::default()
        .key_extractor(LimitKey(client_ip))
        .period(period)
        .burst_size(per_minute)
        .finish()
    else {
        tracing::error!("invalid per-IP rate limit; running without the local guard");
        return routes;
    };
    let config = Arc::new(config);
    // Forget idle clients now and then, so the guard's memory stays bounded.
    let limiter = config.limiter().clone();
    let stop = state.tasks.signal();
    state.tasks.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => limiter.retain_recent(),
                _ = stop.cancelled() => return,
            }
        }
    });
    routes.layer(GovernorLayer::new(config).error_handler(move |err| {
        match err {
            GovernorError::TooManyRequests { wait_time, .. } => {
                meters::rate_limited("ip");
                refused(Duration::from_secs(wait_time.max(1)))
            }
            _ => ApiError::Core(crate::error::Error::Internal(anyhow::anyhow!(
                "could not tell the client's address"
            )))
            .into_response(),
        }
    }))
}

/// The client's address as the limit counts it (an IPv6 client by its /64).
#[derive(Clone, Copy)]
struct LimitKey(ClientIp);

impl KeyExtractor for LimitKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, GovernorError> {
        self.0
            .of(req)
            .map(addresses::network)
            .ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The `/api/v1` answer to a refused request: `429 rate_limited`.
pub(crate) fn refused(retry_after: Duration) -> Response {
    ApiError::TooManyRequests { retry_after }.into_response()
}
