//! Web pages for people (plain HTML, CSS and JavaScript embedded in the binary; no build
//! step): the hosted login page, which is the OpenID Connect authorization endpoint, and the
//! widget a shop adds to its own pages.

mod card;
mod forms;
mod login;
mod logout;
mod sign_in;
mod view;

use axum::{
    Router,
    routing::{get, post},
};

use crate::{
    http::{rate_limit, same_origin},
    state::AppState,
};

/// `/login` (the page), its sign-in calls and `/login/authorize` (the page's last step), their
/// files, `/widget.js`, `/logout`.
pub(crate) fn router(state: &AppState) -> Router<AppState> {
    // The login session's cookie is set and used only by otpgram's own page: no other origin,
    // not even an allowed CORS one, may post here. Signing in checks codes, and every code
    // handed out costs Redis: both count against the per-address limit.
    let own_page = |routes: Router<AppState>| {
        routes.layer(axum::middleware::from_fn_with_state(
            same_origin::Guard::own_only(same_origin::refused),
            same_origin::check,
        ))
    };
    let limited = own_page(
        Router::new()
            .route("/login/authorize", post(login::finish))
            .route("/login/code", post(sign_in::request_code))
            .route("/login/verify", post(sign_in::verify))
            .route("/login/telegram", post(sign_in::start_one_tap)),
    );
    // The same steps as forms, for a browser without a script: form bodies, with the page's
    // form token, from otpgram's own pages only.
    let forms = Router::new()
        .route("/login/form/code", post(forms::request_code))
        .route("/login/form/verify", post(forms::verify))
        .route("/login/form/telegram", post(forms::start_one_tap))
        .route("/login/form/telegram/done", post(forms::one_tap_done))
        .layer(axum::middleware::from_fn_with_state(
            same_origin::Guard::own_forms(same_origin::refused),
            same_origin::check,
        ));
    let limited: Router<AppState> =
        rate_limit::per_ip(limited.merge(forms).into(), state, rate_limit::refused).into();
    Router::new()
        .route("/login", get(login::page))
        .route("/login/assets/{name}", get(login::file))
        .route("/widget.js", get(login::widget))
        .route("/logout", get(logout::ask).post(logout::confirm))
        .merge(limited)
}

/// The page's one-tap wait: a long poll that bounds itself, so it is mounted outside the
/// request timeout (as the API's is).
pub(crate) fn waiting() -> Router<AppState> {
    Router::new()
        .route("/login/telegram/{login_id}", get(sign_in::wait))
        .layer(axum::middleware::from_fn_with_state(
            same_origin::Guard::own_only(same_origin::refused),
            same_origin::check,
        ))
}
