//! Session cookies: HttpOnly, SameSite=Lax, Secure per configuration; the refresh cookie is only
//! sent to the auth endpoints.

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cookie::time::Duration;

use crate::core::session::TokenPair;

pub(crate) const ACCESS_COOKIE: &str = "access_token";
pub(crate) const REFRESH_COOKIE: &str = "refresh_token";
pub(crate) const REFRESH_PATH: &str = "/api/v1/auth";
/// The hosted login page's session (single sign-on), sent to every path of otpgram's origin
/// (the page, its calls, logout) and to no other site.
pub(crate) const LOGIN_SESSION_COOKIE: &str = "otpgram_login";

fn build(
    name: &'static str,
    value: String,
    path: &'static str,
    secure: bool,
    max_age: Duration,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path(path)
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .build()
}

/// Sets both cookies for a new or rotated pair.
pub(crate) fn with_tokens(jar: CookieJar, tokens: &TokenPair, secure: bool) -> CookieJar {
    with_tokens_at(jar, tokens, secure, REFRESH_PATH)
}

/// As [`with_tokens`], with the refresh cookie scoped to `refresh_path` (older integrations use
/// other paths).
pub(crate) fn with_tokens_at(
    jar: CookieJar,
    tokens: &TokenPair,
    secure: bool,
    refresh_path: &'static str,
) -> CookieJar {
    jar.add(build(
        ACCESS_COOKIE,
        tokens.access_token.clone(),
        "/",
        secure,
        Duration::seconds(tokens.access_ttl.as_secs() as i64),
    ))
    .add(build(
        REFRESH_COOKIE,
        tokens.refresh_token.clone(),
        refresh_path,
        secure,
        Duration::seconds(tokens.refresh_ttl.as_secs() as i64),
    ))
}

/// Expires both cookies.
pub(crate) fn cleared(jar: CookieJar, secure: bool) -> CookieJar {
    cleared_at(jar, secure, REFRESH_PATH)
}

/// As [`cleared`], for a refresh cookie scoped to `refresh_path`.
pub(crate) fn cleared_at(jar: CookieJar, secure: bool, refresh_path: &'static str) -> CookieJar {
    jar.add(build(
        ACCESS_COOKIE,
        String::new(),
        "/",
        secure,
        Duration::ZERO,
    ))
    .add(build(
        REFRESH_COOKIE,
        String::new(),
        refresh_path,
        secure,
        Duration::ZERO,
    ))
}

/// Sets the hosted page's login session cookie.
pub(crate) fn with_login_session(
    jar: CookieJar,
    token: String,
    secure: bool,
    ttl: std::time::Duration,
) -> CookieJar {
    jar.add(build(
        LOGIN_SESSION_COOKIE,
        token,
        "/",
        secure,
        Duration::seconds(ttl.as_secs() as i64),
    ))
}

/// Expires the hosted page's login session cookie.
pub(crate) fn without_login_session(jar: CookieJar, secure: bool) -> CookieJar {
    jar.add(build(
        LOGIN_SESSION_COOKIE,
        String::new(),
        "/",
        secure,
        Duration::ZERO,
    ))
}

/// The hosted page's form token: each form carries it, and a form posts only with this cookie
/// beside it. `SameSite=Strict` (another site's form is sent without it) and only under
/// `/login`; it lives as long as the browser session.
pub(crate) const FORM_COOKIE: &str = "otpgram_form";

/// Sets the hosted page's form token.
pub(crate) fn with_form_token(jar: CookieJar, token: String, secure: bool) -> CookieJar {
    jar.add(
        Cookie::build((FORM_COOKIE, token))
            .path("/login")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .build(),
    )
}
