//! Web pages for people (plain HTML, CSS and JavaScript embedded in the binary; no build
//! step): the hosted login page, which is the OpenID Connect authorization endpoint, and the
//! widget a shop adds to its own pages.

mod login;

use axum::{
    Router,
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use rust_embed::Embed;

use crate::{api::same_origin, state::AppState};

/// `/login` (the page), `/login/authorize` (the page's last step), their files, `/widget.js`.
pub fn router(state: &AppState) -> Router<AppState> {
    let authorize = Router::new()
        .route("/login/authorize", post(login::finish))
        .layer(axum::middleware::from_fn_with_state(
            same_origin::Guard::new(state, same_origin::refused),
            same_origin::check,
        ));
    Router::new()
        .route("/login", get(login::page))
        .route("/login/assets/{name}", get(login::file))
        .route("/widget.js", get(login::widget))
        .merge(authorize)
}

/// A file embedded in the binary (`E`'s folder), with its content type; `None` when there is no
/// such file.
pub fn embedded<E: Embed>(name: &str, cache_control: &'static str) -> Option<Response> {
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
