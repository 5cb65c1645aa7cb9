//! The one router: the API (`crate::api`), the pages (`crate::pages`) and the sandbox
//! (`crate::sandbox`) side by side, under the layers every answer shares (`crate::http`). The
//! front doors import `http`, never this, so no front door depends on another through it.

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    middleware,
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

use crate::{
    http::{
        ApiError, BODY_LIMIT, REQUEST_ID, cors, count_request, enforce_timeout, hsts,
        security_headers,
    },
    state::AppState,
};

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
