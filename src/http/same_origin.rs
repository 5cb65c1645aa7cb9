//! The guard on every POST that sets or reads session cookies: another site must not be able to
//! post to them from a visitor's browser (a "login CSRF" would log the visitor into an
//! attacker's account; a refresh or logout would act on the visitor's session).
//!
//! - A body is accepted only as `Content-Type: application/json`. A browser sends that type
//!   cross-site only after a CORS preflight, which other sites fail; the form types (`text/plain`,
//!   `application/x-www-form-urlencoded`, `multipart/form-data`) need none. A POST without a body
//!   stays allowed (a refresh with the cookie alone).
//! - When the browser says where the request comes from (`Origin`), it must be this service
//!   itself or one of `CORS_ALLOWED_ORIGINS`.
//!
//! Both are checked before the endpoint runs, so a refused request consumes nothing.
//!
//! The hosted page's forms (its steps without a script) are the one exception to the first
//! rule: they post `application/x-www-form-urlencoded`, from this service's own origin only
//! (an `Origin` of another site, or `null`, is refused, and so is a `Sec-Fetch-Site` other than
//! `same-origin`), and each carries the page's form token, which the endpoint checks against
//! its `SameSite=Strict` cookie.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
};
use utoipa_axum::router::OpenApiRouter;

use super::{ApiError, extract::json_content_type};
use crate::state::AppState;

/// How an endpoint family answers a refused request, in its own error shape.
pub(crate) type Refusal = fn(StatusCode, &'static str) -> Response;

pub(crate) const NOT_JSON: &str = "Expected a body with `Content-Type: application/json`";
pub(crate) const NOT_FORM: &str = "Expected a form (`application/x-www-form-urlencoded`)";
pub(crate) const FOREIGN_ORIGIN: &str = "Requests from this origin are not allowed";

/// Puts `routes` behind the guard; `refused` answers in their shape.
pub(crate) fn guard(
    routes: OpenApiRouter<AppState>,
    state: &AppState,
    refused: Refusal,
) -> OpenApiRouter<AppState> {
    routes.layer(middleware::from_fn_with_state(
        Guard::new(state, refused),
        check,
    ))
}

#[derive(Clone)]
pub(crate) struct Guard {
    /// `CORS_ALLOWED_ORIGINS`, as validated by the configuration (no trailing slash).
    allowed: std::sync::Arc<[String]>,
    /// The hosted page's forms: form bodies from this origin only.
    forms: bool,
    refused: Refusal,
}

impl Guard {
    pub(crate) fn new(state: &AppState, refused: Refusal) -> Self {
        Self {
            allowed: state.http.cors_allowed_origins.clone().into(),
            forms: false,
            refused,
        }
    }

    /// This service's own pages only, not even `CORS_ALLOWED_ORIGINS`: for the hosted login
    /// page's session, which no shop's page may use.
    pub(crate) fn own_only(refused: Refusal) -> Self {
        Self {
            allowed: Vec::new().into(),
            forms: false,
            refused,
        }
    }

    /// The hosted page's forms: only form bodies, only from this service's own pages.
    pub(crate) fn own_forms(refused: Refusal) -> Self {
        Self {
            forms: true,
            ..Self::own_only(refused)
        }
    }
}

/// The guard as a middleware (`axum::middleware::from_fn_with_state(Guard::new(..), check)`).
pub(crate) async fn check(State(guard): State<Guard>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    if guard.forms {
        if !form_content_type(headers) {
            return (guard.refused)(StatusCode::UNSUPPORTED_MEDIA_TYPE, NOT_FORM);
        }
        let fetched_from = headers.get("sec-fetch-site");
        if fetched_from.is_some_and(|site| site != "same-origin") {
            tracing::info!("refused a login form posted from another site");
            return (guard.refused)(StatusCode::FORBIDDEN, FOREIGN_ORIGIN);
        }
    } else if has_body(headers) && !json_content_type(headers) {
        return (guard.refused)(StatusCode::UNSUPPORTED_MEDIA_TYPE, NOT_JSON);
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let allowed = origin
            .to_str()
            .is_ok_and(|origin| origin_allowed(origin, own, &guard.allowed));
        if !allowed {
            tracing::info!("refused a cookie endpoint request from a foreign origin");
            return (guard.refused)(StatusCode::FORBIDDEN, FOREIGN_ORIGIN);
        }
    }
    next.run(req).await
}

/// The `/api/v1` answers: `415 invalid_request`, `403 forbidden_origin`.
pub(crate) fn refused(status: StatusCode, message: &'static str) -> Response {
    let error = if status == StatusCode::FORBIDDEN {
        ApiError::ForbiddenOrigin
    } else {
        ApiError::InvalidRequest {
            status,
            message: message.to_string(),
        }
    };
    error.into_response()
}

fn form_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// Whether the request carries a body: a non-zero `Content-Length`, or a chunked one.
fn has_body(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() != "0")
}

/// `origin` is this service (its host and port are the request's `Host`) or a listed origin.
/// `null` (a sandboxed frame, a `file:` page) is no origin anyone listed.
fn origin_allowed(origin: &str, own_host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim().trim_end_matches('/');
    if allowed.iter().any(|a| a.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((authority, own_host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_and_listed_origins_pass_and_others_do_not() {
        let listed = ["https://shop.example".to_string()];
        let own = Some("otp.shop.example");
        assert!(origin_allowed("https://otp.shop.example", own, &listed));
        assert!(origin_allowed("https://shop.example", own, &listed));
        assert!(origin_allowed("https://SHOP.example/", own, &listed));
        assert!(!origin_allowed("https://evil.example", own, &listed));
        assert!(!origin_allowed(
            "https://shop.example.evil.example",
            own,
            &listed
        ));
        assert!(!origin_allowed(
            "https://otp.shop.example:8443",
            own,
            &listed
        ));
        assert!(!origin_allowed("null", own, &listed));
        assert!(!origin_allowed("https://otp.shop.example", None, &[]));
    }

    #[test]
    fn an_empty_post_has_no_body() {
        let mut headers = HeaderMap::new();
        assert!(!has_body(&headers));
        headers.insert(header::CONTENT_LENGTH, "0".parse().unwrap());
        assert!(!has_body(&headers));
        headers.insert(header::CONTENT_LENGTH, "12".parse().unwrap());
        assert!(has_body(&headers));
    }
}
