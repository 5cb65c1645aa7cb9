//! Web pages for people (plain HTML, CSS and JavaScript embedded in the binary; no build
//! step): the hosted login page, which is the OpenID Connect authorization endpoint, and the
//! widget a shop adds to its own pages.

mod login;

use axum::{
    Router,
    routing::{get, post},
};

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
