//! `/logout`: otpgram's end-session endpoint (OpenID Connect RP-Initiated Logout; the checks are
//! in [`crate::core::oidc::logout`]). A client that shows the ID token it got for this customer
//! (`id_token_hint`) ends the login session at once; otherwise the customer is asked, on a page
//! that works without JavaScript, and the form carries a token only this browser's session can
//! make, so another page cannot submit it. Either way the customer then goes back to the
//! client's registered address, or sees that they are logged out.

use axum::{
    Form,
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::card;
use crate::{
    core::oidc::logout::{self, Logout, LogoutRequest},
    crypto::constant_time_eq,
    error::Error,
    http::{
        ApiError,
        cookies::{LOGIN_SESSION_COOKIE, without_login_session},
    },
    state::AppState,
    texts::{Lang, page},
};

/// `GET /logout?id_token_hint=…&post_logout_redirect_uri=…&state=…`
pub(super) async fn ask(
    State(state): State<AppState>,
    Query(request): Query<LogoutRequest>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    end_session(&state, request, &headers, jar, None).await
}

/// The confirmation form (or a client posting the same parameters).
#[derive(Deserialize)]
pub(super) struct LogoutForm {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    ui_locales: Option<String>,
    /// Made from this browser's login session: proves the form is otpgram's own.
    confirm: Option<String>,
}

/// `POST /logout`
pub(super) async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LogoutForm>,
) -> Response {
    let request = LogoutRequest {
        id_token_hint: form.id_token_hint,
        client_id: form.client_id,
        post_logout_redirect_uri: form.post_logout_redirect_uri,
        state: form.state,
        ui_locales: form.ui_locales,
    };
    end_session(&state, request, &headers, jar, form.confirm.as_deref()).await
}

async fn end_session(
    state: &AppState,
    request: LogoutRequest,
    headers: &HeaderMap,
    jar: CookieJar,
    confirmed: Option<&str>,
) -> Response {
    let lang = card::language(state, request.ui_locales.as_deref(), headers);
    let checked = match logout::check(&state.oidc, &request).await {
        Ok(checked) => checked,
        Err(Error::Invalid { field, message }) => {
            return card::refusal(lang, "invalid_request", &format!("{field} {message}"));
        }
        Err(err) => return ApiError::from(err).into_response(),
    };
    let token = jar
        .get(LOGIN_SESSION_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty());
    if let Some(token) = token {
        let session = match state.login_sessions.find(&token).await {
            Ok(session) => session,
            Err(err) => return ApiError::from(err).into_response(),
        };
        if let Some(session) = session {
            let expected = confirmation(state, &token);
            let proven = checked.hinted_user == Some(session.user_id)
                || confirmed.is_some_and(|c| constant_time_eq(c.as_bytes(), expected.as_bytes()));
            if !proven {
                return ask_page(lang, &request, &checked, &expected);
            }
            if let Err(err) = state.login_sessions.end(&token).await {
                return ApiError::from(err).into_response();
            }
            tracing::info!(user_id = %session.user_id, "logged out of the hosted page");
        }
    }
    let jar = without_login_session(jar, state.http.cookie_secure);
    match checked.return_to {
        Some(url) => (jar, Redirect::to(url.as_str())).into_response(),
        None => {
            let (title, text) = page::logged_out(lang);
            let body = format!("<p>{}</p>", card::escape(&text));
            let policy = HeaderValue::from_static(card::POLICY);
            (jar, card::card(lang, StatusCode::OK, policy, &title, &body)).into_response()
        }
    }
}

/// The form's proof: a keyed hash of the session's cookie, which no other page can read.
fn confirmation(state: &AppState, token: &str) -> String {
    state.hasher.secret("logout form", token)
}

/// "Log out of otpgram?", a form posting back here.
fn ask_page(lang: Lang, request: &LogoutRequest, checked: &Logout, confirm: &str) -> Response {
    let [title, lead, back, button] = page::logout(lang, checked.client_name.as_deref());
    let hidden = [
        ("confirm", Some(confirm)),
        ("client_id", checked.client_id.as_deref()),
        (
            "post_logout_redirect_uri",
            request.post_logout_redirect_uri.as_deref(),
        ),
        ("state", request.state.as_deref()),
        ("ui_locales", Some(lang.code())),
    ];
    let fields: String = hidden
        .iter()
        .filter_map(|(name, value)| {
            value.map(|v| {
                format!(
                    "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                    card::escape(v)
                )
            })
        })
        .collect();
    let back = if back.is_empty() {
        String::new()
    } else {
        format!("<p class=\"muted\">{}</p>", card::escape(&back))
    };
    let body = format!(
        "<p>{}</p>{back}<form method=\"post\" action=\"/logout\">{fields}\
         <button id=\"logout\" type=\"submit\" class=\"primary\">{}</button></form>",
        card::escape(&lead),
        card::escape(&button),
    );
    // The form's answer redirects to the client: the policy lets the form go there.
    let policy = checked
        .return_to
        .as_ref()
        .map(|url| url.origin().ascii_serialization())
        .and_then(|origin| {
            HeaderValue::try_from(card::POLICY.replace(
                "form-action 'self'",
                &format!("form-action 'self' {origin}"),
            ))
            .ok()
        })
        .unwrap_or(HeaderValue::from_static(card::POLICY));
    card::card(lang, StatusCode::OK, policy, &title, &body)
}
