//! What the HTTP front doors (`crate::api`, `crate::pages`, `crate::sandbox`) share, mounted
//! side by side by `crate::router`: errors and their JSON shape ([`error`]), extractors
//! ([`extract`]), cookies ([`cookies`]), the same-origin guard ([`same_origin`]), the
//! per-address limit ([`rate_limit`]), and the layers every answer passes through (request id,
//! trace, metrics, security headers, CORS, body limit, timeout).

pub(crate) mod cookies;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod rate_limit;
pub(crate) mod same_origin;

use std::time::Duration;

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub(crate) use error::ApiError;

/// Honoured when the client (or a proxy) sends one, generated otherwise; returned either way.
pub(crate) const REQUEST_ID: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-request-id");

/// Bodies are small JSON documents; anything bigger is refused before it is read.
pub(crate) const BODY_LIMIT: usize = 16 * 1024;

pub(crate) fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect::<Vec<_>>();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION])
            .max_age(Duration::from_secs(3600)),
    )
}

/// Counts and times every request by its route pattern (never the raw path, which holds ids).
pub(crate) async fn count_request(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let response = next.run(req).await;
    crate::meters::http_request(
        route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

pub(crate) fn hsts(max_age: Option<u64>) -> Option<HeaderValue> {
    max_age.and_then(|seconds| HeaderValue::try_from(format!("max-age={seconds}")).ok())
}

/// On every answer: no content sniffing (a JSON error is never run as a script or a page), no
/// framing (nothing of otpgram's can be laid under another site's clicks), and HTTPS only for
/// browsers once they have seen it (in production).
pub(crate) async fn security_headers(
    State(hsts): State<Option<HeaderValue>>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if let Some(hsts) = hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts);
    }
    response
}

pub(crate) async fn enforce_timeout(
    State(limit): State<Duration>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
