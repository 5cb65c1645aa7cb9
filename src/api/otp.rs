//! `POST /api/v1/otp/request` and `POST /api/v1/otp/verify`: the site's side of a login.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    auth::Session,
    cookies,
    error::{ApiError, ErrorBody},
    extract::Json,
    rate_limit, same_origin,
};
use crate::{core::otp, state::AppState};

pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // The verify sets the session's cookies.
    let verify = same_origin::guard(
        OpenApiRouter::new().routes(routes!(verify_code)),
        state,
        same_origin::refused,
    );
    let routes = OpenApiRouter::new()
        .routes(routes!(request_code))
        .merge(verify);
    rate_limit::per_ip(routes, state, rate_limit::refused)
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct CodeRequest {
    /// International (`+998901234567`) or, with `DEFAULT_COUNTRY_CODE`, national format.
    #[schema(example = "+998901234567")]
    phone: String,
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct VerifyRequest {
    #[schema(example = "+998901234567")]
    pub(crate) phone: String,
    /// The code the bot sent.
    #[schema(example = "482913")]
    pub(crate) code: String,
}

/// The answer to a code request; the same whether or not the phone is linked to a Telegram
/// account, so it tells nobody which phones are customers.
#[derive(Serialize, ToSchema)]
pub(crate) struct CodeSent {
    #[schema(example = "sent")]
    status: &'static str,
    /// Seconds the code stays valid.
    expires_in: u64,
    /// Seconds before another code may be requested for this phone.
    resend_after: u64,
}

/// Send a login code
///
/// Creates a code and has the bot send it to the Telegram account linked to the phone.
#[utoipa::path(
    post,
    path = "/api/v1/otp/request",
    tag = "login",
    request_body = CodeRequest,
    responses(
        (status = 202, description = "A code is on its way (if the phone is linked).", body = CodeSent),
        (status = 400, description = "`invalid_phone`; `invalid_request`: not JSON.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: the body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a field is missing or has the wrong type.", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many codes for this phone or requests from this address.",
            body = ErrorBody, headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn request_code(
    State(state): State<AppState>,
    Json(body): Json<CodeRequest>,
) -> Result<Response, ApiError> {
    let phone = state.otp.phone(&body.phone)?;
    let sent = state.codes.request_code(&phone).await?;
    Ok(code_sent(&sent))
}

/// `202` with how long the code lives and when another may be asked for (the hosted page's
/// request answers the same).
pub(crate) fn code_sent(sent: &otp::CodeRequested) -> Response {
    (
        StatusCode::ACCEPTED,
        axum::Json(CodeSent {
            status: "sent",
            expires_in: sent.expires_in.as_secs(),
            resend_after: sent.resend_after.as_secs(),
        }),
    )
        .into_response()
}

/// Log in with a code
///
/// Consumes the code (once), creates or updates the user and opens a session. The tokens come in
/// the body and as httpOnly cookies (`access_token`, and `refresh_token` scoped to
/// `/api/v1/auth`).
#[utoipa::path(
    post,
    path = "/api/v1/otp/verify",
    tag = "login",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Logged in.", body = Session,
            headers(("Set-Cookie" = String, description = "The session's cookies."))),
        (status = 400, description = "`invalid_code`: wrong, expired or used; `invalid_phone`; \
            `invalid_request`: not JSON.", body = ErrorBody),
        (status = 403, description = "`forbidden_origin`: a browser posted from another site.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: the body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a field is missing or has the wrong type.", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`: too many wrong codes; `rate_limited`: too many \
            requests from this address.", body = ErrorBody),
    )
)]
async fn verify_code(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<VerifyRequest>,
) -> Result<Response, ApiError> {
    let phone = state.otp.phone(&body.phone)?;
    let login = state.codes.verify_code(&phone, body.code.trim()).await?;
    let jar = cookies::with_tokens(jar, &login.tokens, state.http.cookie_secure);
    Ok((
        jar,
        axum::Json(Session::new(&login.tokens, Some(&login.user))),
    )
        .into_response())
}
