//! What otpgram's pages share: the language a page speaks, the headers every page carries, and
//! the small server-drawn card (a refused login link, logging out) that needs no script.

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{
    state::AppState,
    texts::{Lang, page},
};

/// Text for an HTML page, in an element or an attribute's value.
pub(super) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Only otpgram's own files, no frames (the widget opens a popup), nothing sent elsewhere.
pub(super) const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// A page's HTML with its policy, never cached.
pub(super) fn response(status: StatusCode, policy: HeaderValue, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Html(html),
    )
        .into_response()
}

/// The page's language: `ui_locales`, else the browser's `Accept-Language`, else the default.
pub(super) fn language(state: &AppState, ui_locales: Option<&str>, headers: &HeaderMap) -> Lang {
    let asked = ui_locales
        .into_iter()
        .flat_map(str::split_whitespace)
        .find_map(Lang::parse);
    let browser = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.split(';').next())
            .find_map(|code| Lang::parse(code.trim()))
    };
    asked.or_else(browser).unwrap_or(state.bot.default_language)
}

/// A card with a title and `body` (HTML, already escaped), in `lang`.
pub(super) fn card(
    lang: Lang,
    status: StatusCode,
    policy: HeaderValue,
    title: &str,
    body: &str,
) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/login/assets/login.css\"></head>\
         <body><main class=\"card\"><h1>{title}</h1>{body}</main></body></html>",
        lang.code(),
        title = escape(title),
    );
    response(status, policy, html)
}

/// A request that cannot go back to the client: said here, in the customer's language, with
/// the error the specs name.
pub(super) fn refusal(lang: Lang, error: &str, message: &str) -> Response {
    let (title, hint) = page::refused(lang);
    let body = format!(
        "<p>{}</p><p class=\"muted\"><code id=\"error\">{}</code>: {}</p>",
        escape(&hint),
        escape(error),
        escape(message),
    );
    card(
        lang,
        StatusCode::BAD_REQUEST,
        HeaderValue::from_static(POLICY),
        &title,
        &body,
    )
}
