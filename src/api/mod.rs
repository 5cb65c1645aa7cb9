//! The HTTP API (`/api/v1`, OpenID Connect, the older integration shapes), described by its
//! OpenAPI document. Each resource module owns its routes; what every answer shares (errors,
//! extractors, cookies, the guards and limits, the layers) is `crate::http`'s.

mod adapters;
mod auth;
mod clients;
mod docs;
mod gateway;
mod notifications;
mod oidc;
pub(crate) mod one_tap;
mod operations;
pub(crate) mod otp;
mod shops;
mod webhook;

use axum::{Router, body::Bytes, middleware, routing::get};
use utoipa_axum::router::OpenApiRouter;

// The shared HTTP parts, under the names the resource modules use (`super::error`, ...).
use crate::http::{cookies, error, extract, rate_limit, same_origin};
use crate::{http::enforce_timeout, state::AppState};

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

/// The API's routes and `/openapi.json`, the document that describes them.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    let (router, doc) = routes(state).split_for_parts();
    let doc = operations::Document(Bytes::from(
        docs::finish(doc)
            .to_json()
            .expect("the OpenAPI document serialises"),
    ));
    router.route(
        "/openapi.json",
        get(move || operations::openapi(doc.clone())),
    )
}
