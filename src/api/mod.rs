//! The HTTP API. Each resource module owns its routes; every layer is applied here, in one
//! visible place.

mod adapters;
mod auth;
mod clients;
pub(crate) mod cookies;
mod docs;
mod error;
pub(crate) mod extract;
mod gateway;
mod notifications;
mod oidc;
pub(crate) mod one_tap;
mod operations;
pub(crate) mod otp;
pub(crate) mod rate_limit;
pub(crate) mod same_origin;
mod shops;
mod webhook;

use std::time::Duration;

use axum::{
    Router,
    body::Bytes,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderValue, Method, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use utoipa_axum::router::OpenApiRouter;

pub(crate) use error::ApiError;

use crate::state::AppState;

/// Honoured when the client (or a proxy) sends one, generated otherwise; returned either way.
const REQUEST_ID: axum::http::HeaderName = axum::http::HeaderName::from_static("x-request-id");

/// Bodies are small JSON documents; anything bigger is refused before it is read.
const BODY_LIMIT: usize = 16 * 1024;

/// Every route, each with its description.
fn routes(state: &AppState) -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::base())
        .merge(operations::router())
        .merge(otp::router(state))
        .merge(one_tap::router(state))
        .merge(oidc::router())
        .merge(clients::router())
        .merge(auth::router(state))
        .merge(shops::router())
        .merge(notifications::router())
        .merge(webhook::router())
        .merge(gateway::router())
        .merge(adapters::register_verify::router(state))
        .merge(adapters::chat_tokens::router(state))
        .merge(adapters::bot_codes::router(state))
        .layer(middleware::from_fn_with_state(
            state.http.request_timeout,
            enforce_timeout,
        ))
        // Outside the request timeout: it waits up to 25 s by design, and bounds itself.
        .merge(one_tap::waiting(state))
}

pub(crate) fn router(state: AppState) -> Router {
    let (router, doc) = routes(&state).split_for_parts();
    let doc = operations::Document(Bytes::from(
        docs::finish(doc)
            .to_json()
            .expect("the OpenAPI document serialises"),
    ));
    let mut router = router
        .route(
            "/openapi.json",
            get(move || operations::openapi(doc.clone())),
        )
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

async fn enforce_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
