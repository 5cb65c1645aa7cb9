//! `POST /api/v1/otp/request` and `POST /api/v1/otp/verify`: the site's side of a login.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::json;

use super::{
    auth::session_body,
    cookies,
    error::ApiError,
    extract::{ClientIp, Json},
    rate_limit,
};
use crate::{domain::Phone, error::Error, otp, state::AppState};

pub fn router(state: &AppState) -> Router<AppState> {
    let routes = Router::new()
        .route("/api/v1/otp/request", post(request_code))
        .route("/api/v1/otp/verify", post(verify_code));
    rate_limit::per_ip(
        routes,
        state.config.rate_limit_per_ip_per_minute,
        ClientIp {
            trust_proxy_headers: state.config.trust_proxy_headers,
        },
    )
}

#[derive(Deserialize)]
struct CodeRequest {
    phone: String,
}

#[derive(Deserialize)]
struct VerifyRequest {
    phone: String,
    code: String,
}

fn parse_phone(state: &AppState, input: &str) -> Result<Phone, Error> {
    Phone::parse(input, state.config.default_country_code.as_deref())
        .map_err(|_| Error::InvalidPhone)
}

async fn request_code(
    State(state): State<AppState>,
    Json(body): Json<CodeRequest>,
) -> Result<Response, ApiError> {
    let phone = parse_phone(&state, &body.phone)?;
    let sent = otp::request_code(&state, &phone).await?;
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({
            "status": "sent",
            "expires_in": sent.expires_in.as_secs(),
            "resend_after": sent.resend_after.as_secs(),
        })),
    )
        .into_response())
}

async fn verify_code(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<VerifyRequest>,
) -> Result<Response, ApiError> {
    let phone = parse_phone(&state, &body.phone)?;
    let login = otp::verify_code(&state, &phone, body.code.trim()).await?;
    let jar = cookies::with_tokens(jar, &login.tokens, state.config.cookie_secure);
    Ok((
        jar,
        axum::Json(session_body(&login.tokens, Some(&login.user))),
    )
        .into_response())
}
