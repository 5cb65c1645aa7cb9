//! The one HTTP front door: the router that mounts the API (`crate::api`), the pages
//! (`crate::pages`) and the sandbox (`crate::sandbox`) side by side, and what they all share —
//! errors and their JSON shape ([`error`]), extractors ([`extract`]), cookies ([`cookies`]), the
//! same-origin guard ([`same_origin`]), the per-address limit ([`rate_limit`]),
//! embedded files ([`embedded`]) and the layers every answer passes through (request id, trace,
//! metrics, security headers, CORS, body limit, timeout).

pub(crate) mod cookies;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod rate_limit;
pub(crate) mod same_origin;

use std::time::Duration;

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use rust_embed::Embed;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

pub(crate) use error::ApiError;

use crate::state::AppState;

/// Honoured when the client (or a proxy) sends one, generated otherwise; returned either way.
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// Bodies are small JSON documents; anything bigger is refused before it is read.
const BODY_LIMIT: usize = 16 * 1024;

/// The one router: the API, the pages and the sandbox side by side, under the layers every
/// answer shares.
pub(crate) fn router(state: AppState) -> Router {
    let mut router = crate::api::router(&state)
        // People's pages, outside the API's description.
        .merge(
            crate::pages::router(&state).layer(middleware::from_fn_with_state(
                state.http.request_timeout,
                enforce_timeout,
            )),
        )
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            hsts(state.http.hsts_max_age),
            security_headers,
        ))
        .layer(middleware::from_fn(count_request))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("unmatched");
            let request_id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("http", method = %req.method(), route, request_id)
        }))
        // The id is set before the trace span is made, and copied onto the response.
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid));
    if let Some(cors) = cors(&state.http.cors_allowed_origins) {
        router = router.layer(cors);
    }
    let router = router.merge(crate::pages::waiting());
    let sandbox = state.sandbox.as_ref().map(|s| s.router());
    let router = router.with_state(state);
    // Outside the request timeout: the bot's getUpdates and the page's live view wait long.
    match sandbox {
        Some(sandbox) => router.merge(sandbox),
        None => router,
    }
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
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
async fn count_request(req: Request, next: Next) -> Response {
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

fn hsts(max_age: Option<u64>) -> Option<HeaderValue> {
    max_age.and_then(|seconds| HeaderValue::try_from(format!("max-age={seconds}")).ok())
}

/// On every answer: no content sniffing (a JSON error is never run as a script or a page), no
/// framing (nothing of otpgram's can be laid under another site's clicks), and HTTPS only for
/// browsers once they have seen it (in production).
async fn security_headers(
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

/// A file embedded in the binary (`E`'s folder), with its content type; `None` when there is no
/// such file.
pub(crate) fn embedded<E: Embed>(name: &str, cache_control: &'static str) -> Option<Response> {
    let file = E::get(name)?;
    let kind = match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, kind),
                (header::CACHE_CONTROL, cache_control),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            file.data,
        )
            .into_response(),
    )
}
