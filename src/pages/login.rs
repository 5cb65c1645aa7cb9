//! The hosted login page: OpenID Connect's authorization endpoint. `GET /login` checks the
//! request (an unknown client or a foreign redirect URI is shown here, never followed; other
//! errors go back to the client). With a live login session the request may use (single
//! sign-on) it goes straight back with a code; `prompt=none` never shows anything. Otherwise it
//! serves the page, which signs the customer in (`crate::pages::sign_in`: one tap, or a code)
//! and then `POST /login/authorize` trades the login session for an authorization code and says
//! where to go with it.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use rust_embed::Embed;
use serde::Serialize;
use url::Url;

use axum_extra::extract::CookieJar;

use crate::{
    core::{
        login_session::LoginSession,
        oidc::{self, AuthRequest, Authorized, OAuthError, Prompt},
    },
    crypto::{constant_time_eq, random_token},
    error::{Error, Result},
    http::{
        ApiError,
        cookies::{FORM_COOKIE, LOGIN_SESSION_COOKIE, with_form_token, without_login_session},
        extract::ClientAddress,
    },
    state::AppState,
    texts::Lang,
};

use super::{
    card,
    view::{LoginPage, Said, Step},
};

#[derive(Embed)]
#[folder = "web/login/"]
struct Assets;

/// `GET /login?client_id=…&redirect_uri=…&response_type=code&scope=openid…`
pub(super) async fn page(
    State(state): State<AppState>,
    Query(request): Query<AuthRequest>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let lang = card::language(&state, request.ui_locales.as_deref(), &headers);
    let authorized = match oidc::authorize(&state.oidc, &request).await {
        Ok(authorized) => authorized,
        Err(err) => return refused(&state, lang, err),
    };
    let (jar, session) = match usable_session(&state, &authorized, jar).await {
        Ok(found) => found,
        Err(err) => return ApiError::from(err).into_response(),
    };
    match (&session, authorized.prompt) {
        // Single sign-on: the customer logged in here before, for this or another shop.
        (Some((token, session)), _) if !authorized.web_message => {
            // A code handed out here counts against the address, as one from the page's call.
            if let Some(retry_after) = over_address_limit(&state, from).await {
                return ApiError::TooManyRequests { retry_after }.into_response();
            }
            return match answer(&state, &authorized, token, session).await {
                Ok(finished) => (jar, Redirect::to(&finished.redirect_to)).into_response(),
                Err(err) => ApiError::from(err).into_response(),
            };
        }
        (None, Prompt::None) => {
            let message = "the customer is not logged in on otpgram";
            let back = back_with_error(&state, &authorized, "login_required", message);
            return (jar, back).into_response();
        }
        _ => {}
    }
    let (jar, csrf) = form_token(jar, state.http.cookie_secure);
    let page = LoginPage::new(&state, lang, &authorized, request, csrf, session.is_some()).await;
    let start = Step::Start {
        phone: String::new(),
    };
    (jar, page.render(StatusCode::OK, &start, Said::Nothing)).into_response()
}

/// The page's form token: the browser's own, or a new one set beside the page.
fn form_token(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(token) = jar
        .get(FORM_COOKIE)
        .map(|cookie| cookie.value())
        .filter(|token| token.len() == FORM_TOKEN_LEN)
    {
        let token = token.to_string();
        return (jar, token);
    }
    let token = random_token(FORM_TOKEN_LEN);
    (with_form_token(jar, token.clone(), secure), token)
}

/// Whether a posted form's `token` is the one beside it in the browser's cookie.
pub(super) fn form_token_matches(jar: &CookieJar, token: &str) -> bool {
    jar.get(FORM_COOKIE).is_some_and(|cookie| {
        cookie.value().len() == FORM_TOKEN_LEN
            && constant_time_eq(cookie.value().as_bytes(), token.as_bytes())
    })
}

const FORM_TOKEN_LEN: usize = 32;

/// How long to wait when `from` is past the per-address allowance (`None` when it is not, or
/// when the limit is off or Redis is away: the code's own allowance still holds).
async fn over_address_limit(
    state: &AppState,
    from: Option<std::net::IpAddr>,
) -> Option<std::time::Duration> {
    if state.http.rate_limit_per_ip_per_minute == 0 {
        return None;
    }
    crate::addresses::admit(&state.redis, state.http.rate_limit_per_ip_per_minute, from?)
        .await
        .ok()
        .flatten()
}

/// The login session in the cookie, if this request may use it. `prompt=login` ends it (the
/// customer logs in again, and only the new one counts); one older than `max_age` is kept for
/// other clients but not used here.
async fn usable_session(
    state: &AppState,
    authorized: &Authorized,
    jar: CookieJar,
) -> Result<(CookieJar, Option<(String, LoginSession)>)> {
    let Some(token) = session_cookie(&jar) else {
        return Ok((jar, None));
    };
    let secure = state.http.cookie_secure;
    let Some(session) = state.login_sessions.find(&token).await? else {
        return Ok((without_login_session(jar, secure), None));
    };
    if authorized.prompt == Prompt::Login {
        state.login_sessions.end(&token).await?;
        return Ok((without_login_session(jar, secure), None));
    }
    if !session.younger_than(authorized.max_age) {
        return Ok((jar, None));
    }
    Ok((jar, Some((token, session))))
}

fn session_cookie(jar: &CookieJar) -> Option<String> {
    jar.get(LOGIN_SESSION_COOKIE)
        .map(|cookie| cookie.value().to_string())
        .filter(|value| !value.is_empty())
}

/// The client's redirect URI with the answer's `params`, then the client's `state` and the
/// issuer (RFC 9207), in its query.
fn answer_url(state: &AppState, to: &Authorized, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(&to.redirect_uri) else {
        return to.redirect_uri.clone();
    };
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(params);
        if let Some(client_state) = to.state.as_deref() {
            query.append_pair("state", client_state);
        }
        if let Some(issuer) = state.oidc.issuer.as_deref() {
            query.append_pair("iss", issuer);
        }
    }
    url.to_string()
}

fn error_url(state: &AppState, to: &Authorized, error: &str, message: &str) -> String {
    answer_url(
        state,
        to,
        &[("error", error), ("error_description", message)],
    )
}

/// An authorization request refused, answered as a page: back to the client on its redirect URI
/// when it may be told, on otpgram's own card when not (an unknown client, a foreign redirect
/// URI); a failure of otpgram's own as every endpoint answers it.
pub(super) fn refused(state: &AppState, lang: Lang, err: OAuthError) -> Response {
    match err {
        OAuthError::Refused {
            code,
            description,
            back_to: Some(to),
        } => back_with_error(state, &to, code, &description),
        OAuthError::Refused {
            code, description, ..
        } => card::refusal(lang, code, &description),
        OAuthError::Failed(err) => ApiError::from(err).into_response(),
    }
}

fn back_with_error(state: &AppState, to: &Authorized, error: &str, message: &str) -> Response {
    Redirect::to(&error_url(state, to, error, message)).into_response()
}

/// Where the page goes once the customer is logged in.
#[derive(Serialize)]
pub(super) struct Finished {
    /// The client's redirect URI, with the code (or an error) and `state`.
    pub redirect_to: String,
    /// The widget's popup hands the code to its opener instead.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    web_message: Option<WebMessage>,
}

#[derive(Serialize)]
struct WebMessage {
    web_message: bool,
    code: String,
    state: Option<String>,
    /// The redirect URI's origin: the only one the code is posted to.
    target_origin: String,
}

/// `POST /login/authorize` with the authorization request, from the page once it signed the
/// customer in: the login session's cookie, and only from otpgram's own origin (the guard in
/// `pages::router`), so no shop's page can mint codes with it. Never a first-party token.
pub(super) async fn finish(
    State(state): State<AppState>,
    jar: CookieJar,
    axum::Json(request): axum::Json<AuthRequest>,
) -> Result<Response, ApiError> {
    let authorized = match oidc::authorize(&state.oidc, &request).await {
        Ok(authorized) => authorized,
        Err(OAuthError::Refused {
            code,
            description,
            back_to: Some(to),
        }) => {
            return Ok(axum::Json(Finished {
                redirect_to: error_url(&state, &to, code, &description),
                web_message: None,
            })
            .into_response());
        }
        Err(OAuthError::Refused { description, .. }) => {
            return Err(Error::Invalid {
                field: "client_id".into(),
                message: description,
            }
            .into());
        }
        Err(OAuthError::Failed(err)) => return Err(err.into()),
    };
    let token = session_cookie(&jar).ok_or(Error::LoginRequired)?;
    let session = state
        .login_sessions
        .find(&token)
        .await?
        .filter(|session| session.younger_than(authorized.max_age))
        .ok_or(Error::LoginRequired)?;
    let finished = answer(&state, &authorized, &token, &session).await?;
    Ok(axum::Json(finished).into_response())
}

/// A code for the login session (within its allowance), and where it goes.
pub(super) async fn answer(
    state: &AppState,
    authorized: &Authorized,
    token: &str,
    session: &LoginSession,
) -> Result<Finished> {
    state.login_sessions.admit_code(token).await?;
    let code = oidc::issue_code(&state.oidc, authorized, session).await?;
    let web_message = authorized
        .web_message
        .then(|| Url::parse(&authorized.redirect_uri).ok())
        .flatten()
        .map(|url| WebMessage {
            web_message: true,
            code: code.clone(),
            state: authorized.state.clone(),
            target_origin: url.origin().ascii_serialization(),
        });
    Ok(Finished {
        redirect_to: answer_url(state, authorized, &[("code", &code)]),
        web_message,
    })
}

/// The page's files.
pub(super) async fn file(Path(name): Path<String>) -> Response {
    asset(&name)
}

/// `GET /widget.js`: any page may load it.
pub(super) async fn widget() -> Response {
    asset("widget.js")
}

fn asset(name: &str) -> Response {
    crate::assets::embedded::<Assets>(name, "public, max-age=300")
        .unwrap_or_else(|| ApiError::NotFound.into_response())
}
