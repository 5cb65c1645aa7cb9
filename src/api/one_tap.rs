//! `/api/v1/login/telegram`: one-tap login (see [`crate::core::one_tap`]). The site starts a
//! login, shows its link (or the QR code), and waits for the answer with the poll token only
//! the browser holds.

use std::time::Duration;

use axum::{
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Session,
    cookies,
    error::{ApiError, ErrorBody},
    extract::{ClientAddress, bearer},
    rate_limit, same_origin,
};
use crate::{
    core::one_tap::{self, MAX_WAIT, Waited},
    error::Error,
    state::AppState,
};

/// Starting a login and its QR code.
pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    rate_limit::per_ip(
        OpenApiRouter::new().routes(routes!(start_login)),
        state,
        rate_limit::refused,
    )
    .routes(routes!(login_qr))
}

/// The browser's wait: a long poll that bounds itself ([`MAX_WAIT`]), so it is mounted outside
/// the request timeout. It sets the session's cookies, hence the same-origin guard.
pub(crate) fn waiting(state: &AppState) -> OpenApiRouter<AppState> {
    same_origin::guard(
        OpenApiRouter::new().routes(routes!(wait_for_login)),
        state,
        same_origin::refused,
    )
}

/// A login begun: show `link` (a QR code on a desktop), then wait with `poll_token`.
#[derive(Serialize, ToSchema)]
pub(crate) struct LoginStarted {
    /// Names the login in the wait and QR paths.
    #[schema(example = "Xb3kq9ZtRw2mPa7L")]
    login_id: String,
    /// Opens the bot in Telegram, at this login's confirmation.
    #[schema(
        example = "https://t.me/otpgram_bot?start=login_Xb3kq9ZtRw2mPa7L_4f1c2b9a0d7e6f5a4b3c2d1e"
    )]
    link: String,
    /// The browser's secret: send it as `Authorization: Bearer` to wait and to get the QR code.
    /// The link alone collects nothing.
    poll_token: String,
    /// Seconds the link works.
    expires_in: u64,
    /// Show it beside the link and the QR code ("Pick 42 in Telegram"): the customer picks it
    /// among three in the bot, and a wrong pick refuses the login.
    #[schema(example = 42)]
    number: u8,
}

/// Start a one-tap login
///
/// Begins a login the customer confirms in Telegram with one tap. Nothing about the customer
/// is asked: whoever opens the link in Telegram and picks `number` (the page shows it) among
/// three is logged in, in the browser holding `poll_token`; a wrong pick refuses the login, so
/// a link or QR code sent to someone who cannot see the page logs nobody in. The confirmation
/// names the site (`SITE_NAME`), this browser (from its `User-Agent`) and the time.
#[utoipa::path(
    post,
    path = "/api/v1/login/telegram",
    tag = "login",
    responses(
        (status = 201, description = "Begun.", body = LoginStarted),
        (status = 429, description = "`rate_limited`: too many requests from this address.",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: Redis or Telegram is away.", body = ErrorBody),
    )
)]
async fn start_login(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let started = state.one_tap.start(user_agent(&headers), None).await?;
    Ok(started_answer(started))
}

/// `201` with the login's link and poll token (the hosted page's start answers the same).
pub(crate) fn started_answer(started: one_tap::Started) -> Response {
    (
        StatusCode::CREATED,
        axum::Json(LoginStarted {
            login_id: started.login_id,
            link: started.link,
            poll_token: started.poll_token,
            expires_in: started.expires_in.as_secs(),
            number: started.number,
        }),
    )
        .into_response()
}

/// The browser's summary for the confirmation comes from its `User-Agent`.
pub(crate) fn user_agent(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct WaitParams {
    /// Seconds to wait for an answer (0 to 25; 25 by default).
    #[param(minimum = 0, maximum = 25)]
    wait: Option<u64>,
}

/// How a login stands (`status`); once approved, with the session exactly as
/// `POST /api/v1/otp/verify` returns it.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub(crate) enum LoginState {
    /// Not answered yet: ask again.
    Pending,
    /// **Not me**: nobody is logged in.
    Denied,
    /// The link expired, the login is unknown, or its session was collected before.
    Expired,
    /// **Log in**: the session, in this answer only.
    Approved(Session),
}

/// Wait for a one-tap login
///
/// Waits up to `wait` seconds for the customer's answer in Telegram (a long poll: ask again
/// after `pending`). Once approved, the answer carries the session (tokens in the body and as
/// httpOnly cookies, as after `POST /api/v1/otp/verify`), once: asking again gets `expired`.
#[utoipa::path(
    get,
    path = "/api/v1/login/telegram/{login_id}",
    tag = "login",
    params(("login_id" = String, Path, description = "From `POST /api/v1/login/telegram`."), WaitParams),
    security(("poll_token" = [])),
    responses(
        (status = 200, description = "How the login stands.", body = LoginState,
            headers(("Set-Cookie" = String, description = "The session's cookies, once approved."))),
        (status = 400, description = "`invalid_request`: `wait` is not a number from 0 to 25.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no poll token, or not this login's.", body = ErrorBody),
        (status = 403, description = "`forbidden_origin`: a browser asked from another site.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: two browsers wait on this login already, or twenty \
            waits come from this address.", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
        (status = 503, description = "`unavailable`: Redis or the database is away.", body = ErrorBody),
    )
)]
async fn wait_for_login(
    State(state): State<AppState>,
    Path(login_id): Path<String>,
    params: Result<Query<WaitParams>, QueryRejection>,
    ClientAddress(from): ClientAddress,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, ApiError> {
    let login = match wait_as_asked(&state, &login_id, params, from, &headers).await? {
        Waited::Pending => return Ok(axum::Json(LoginState::Pending).into_response()),
        Waited::Denied => return Ok(axum::Json(LoginState::Denied).into_response()),
        Waited::Expired => return Ok(axum::Json(LoginState::Expired).into_response()),
        Waited::Approved(user) => state.one_tap.start_session(*user).await?,
    };
    let jar = cookies::with_tokens(jar, &login.tokens, state.http.cookie_secure);
    let session = Session::new(&login.tokens, Some(&login.user));
    Ok((jar, axum::Json(LoginState::Approved(session))).into_response())
}

/// A browser's wait as it asked for it: `?wait=` seconds, with the poll token as a Bearer
/// token, from its address (the hosted page's wait is the same).
pub(crate) async fn wait_as_asked(
    state: &AppState,
    login_id: &str,
    params: Result<Query<WaitParams>, QueryRejection>,
    from: Option<std::net::IpAddr>,
    headers: &HeaderMap,
) -> Result<Waited, ApiError> {
    let wait = wait_of(params)?;
    let poll_token = bearer(headers).ok_or(Error::Unauthorized)?;
    Ok(state
        .one_tap
        .wait(login_id, &poll_token, from, wait)
        .await?)
}

/// How long a wait may last: `wait` seconds (0 to [`MAX_WAIT`]), [`MAX_WAIT`] by default.
fn wait_of(params: Result<Query<WaitParams>, QueryRejection>) -> Result<Duration, ApiError> {
    let Query(params) = params.map_err(|err| ApiError::InvalidRequest {
        status: StatusCode::BAD_REQUEST,
        message: err.body_text(),
    })?;
    match params.wait {
        None => Ok(MAX_WAIT),
        Some(seconds) if seconds <= MAX_WAIT.as_secs() => Ok(Duration::from_secs(seconds)),
        Some(_) => Err(ApiError::InvalidRequest {
            status: StatusCode::BAD_REQUEST,
            message: format!("wait must be 0 to {} seconds", MAX_WAIT.as_secs()),
        }),
    }
}

/// A login's link as a QR code
///
/// The login's link as an SVG QR code, for a customer on a desktop to scan with their phone.
/// Needs the login's poll token, like the wait: fetch it with the header and show the SVG.
#[utoipa::path(
    get,
    path = "/api/v1/login/telegram/{login_id}/qr.svg",
    tag = "login",
    params(("login_id" = String, Path, description = "From `POST /api/v1/login/telegram`.")),
    security(("poll_token" = [])),
    responses(
        (status = 200, description = "The QR code.", content_type = "image/svg+xml", body = String),
        (status = 401, description = "`unauthorized`: no poll token, or not this login's.", body = ErrorBody),
        (status = 404, description = "`login_not_found`: expired or unknown.", body = ErrorBody),
        (status = 503, description = "`unavailable`: Redis or Telegram is away.", body = ErrorBody),
    )
)]
async fn login_qr(
    State(state): State<AppState>,
    Path(login_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let poll_token = bearer(&headers).ok_or(Error::Unauthorized)?;
    let link = state.one_tap.link_for(&login_id, &poll_token).await?;
    let image = one_tap::qr_svg(&link)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        image,
    )
        .into_response())
}
