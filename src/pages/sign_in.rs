//! How the hosted page signs a customer in, by a code (`POST /login/verify`) or by one tap (the
//! wait, `GET /login/telegram/{login_id}`): either opens the login session, sets its cookie, and
//! creates nothing else (no token family: the shop gets its tokens from `/oauth/token`).

use axum::{
    extract::{Path, Query, State, rejection::QueryRejection},
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::Serialize;
use url::Url;
use uuid::Uuid;

use crate::{
    // The page's script speaks the API's shapes: the same answers, from the same code.
    api::{
        one_tap::{WaitParams, started_answer, user_agent, wait_as_asked},
        otp::{VerifyRequest, code_sent},
    },
    core::{
        login_session,
        oidc::{self, AuthRequest, OAuthError},
        one_tap::Waited,
        session::Method,
    },
    domain::Site,
    error::{Error, Result},
    http::{
        ApiError,
        cookies::with_login_session,
        extract::{ClientAddress, Json},
    },
    state::AppState,
};

/// How a sign-in stands.
#[derive(Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum SignIn {
    /// One tap, not answered yet: ask again.
    Pending,
    Denied,
    Expired,
    /// The login session's cookie is set: the page goes on to `/login/authorize`.
    SignedIn,
}

/// `POST /login/verify` `{"phone","code"}`: the code the customer typed.
pub(super) async fn verify(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<VerifyRequest>,
) -> Result<Response, ApiError> {
    let phone = state.otp.phone(&body.phone)?;
    let user = state.codes.consume_code(&phone, body.code.trim()).await?;
    let (jar, _) = open(&state, jar, user.id, Method::Otp).await?;
    Ok((jar, axum::Json(SignIn::SignedIn)).into_response())
}

/// The client an authorization request names, as the bot should name it to the customer.
async fn site_of(state: &AppState, request: &AuthRequest) -> Result<Site, ApiError> {
    let authorized = match oidc::authorize(&state.oidc, request).await {
        Ok(authorized) => authorized,
        Err(OAuthError::Failed(err)) => return Err(err.into()),
        Err(OAuthError::Refused { .. }) => {
            return Err(Error::Invalid {
                field: "request".into(),
                message: "not an authorization request otpgram accepts".into(),
            }
            .into());
        }
    };
    Ok(site(&authorized))
}

/// The client as the bot names it to the customer: its registered name and its origin.
pub(super) fn site(authorized: &oidc::Authorized) -> Site {
    Site {
        origin: Url::parse(&authorized.redirect_uri)
            .map(|url| url.origin().ascii_serialization())
            .unwrap_or_default(),
        name: authorized.client_name.clone(),
    }
}

/// `POST /login/telegram` with the authorization request: a one-tap login whose confirmation
/// in Telegram names the client that asks (its registered name and its origin).
pub(super) async fn start_one_tap(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Json(request): axum::Json<AuthRequest>,
) -> Result<Response, ApiError> {
    let site = site_of(&state, &request).await?;
    let started = state
        .one_tap
        .start(user_agent(&headers), Some(site))
        .await?;
    Ok(started_answer(started))
}

/// A code asked for on the hosted page: the phone, and the authorization request the page is
/// for.
#[derive(serde::Deserialize)]
pub(super) struct PageCodeRequest {
    phone: String,
    request: AuthRequest,
}

/// `POST /login/code` `{"phone","request"}`: a code whose message names the client that asks.
/// The answer is `POST /api/v1/otp/request`'s, the same for every phone.
pub(super) async fn request_code(
    State(state): State<AppState>,
    Json(body): Json<PageCodeRequest>,
) -> Result<Response, ApiError> {
    let phone = state.otp.phone(&body.phone)?;
    let site = site_of(&state, &body.request).await?;
    let sent = state.codes.request_code_for(&phone, site).await?;
    Ok(code_sent(&sent))
}

/// `GET /login/telegram/{login_id}?wait=…` with the poll token: the page's one-tap wait.
pub(super) async fn wait(
    State(state): State<AppState>,
    Path(login_id): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let answer = match wait_as_asked(&state, &login_id, params, from, &headers).await? {
        Waited::Pending => SignIn::Pending,
        Waited::Denied => SignIn::Denied,
        Waited::Expired => SignIn::Expired,
        Waited::Approved(user) => {
            let (jar, _) = open(&state, jar, user.id, Method::Telegram).await?;
            return Ok((jar, axum::Json(SignIn::SignedIn)).into_response());
        }
    };
    Ok(axum::Json(answer).into_response())
}

/// Opens the login session for `user_id` and sets its cookie.
pub(super) async fn open(
    state: &AppState,
    jar: CookieJar,
    user_id: Uuid,
    method: Method,
) -> Result<(CookieJar, login_session::Opened)> {
    let opened = state.login_sessions.open(user_id, method).await?;
    let jar = with_login_session(
        jar,
        opened.token.clone(),
        state.http.cookie_secure,
        opened.ttl,
    );
    Ok((jar, opened))
}
