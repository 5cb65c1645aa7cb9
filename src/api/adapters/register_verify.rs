//! Adapter 2: a trusted bot registers a user by telegram_id (a code goes to that account), then
//! the user is verified by telegram_id and code.
//!
//! - `POST /register` `{"telegram_id","phone_number"}` + `X-Bot-Secret` →
//!   `200 {"message":"Verification code sent"}`
//! - `POST /verify` `{"telegram_id","verification_code"}` →
//!   `200 {"message":"User successfully verified"}`
//!
//! Codes live `LEGACY_VERIFY_TTL_SECONDS` (60 s by default, as that integration expects).

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, BotSecret, Detail};
use crate::{
    binding,
    domain::Phone,
    error::Error,
    otp,
    state::AppState,
    users::{self, Profile},
};

pub fn router(state: &AppState) -> Router<AppState> {
    let routes = Router::new()
        .route("/register", post(register))
        .route("/verify", post(verify));
    // Code endpoints: the same per-IP limit as /api/v1/otp/*.
    crate::api::rate_limit::per_ip(
        routes,
        state.config.rate_limit_per_ip_per_minute,
        crate::api::extract::ClientIp {
            trust_proxy_headers: state.config.trust_proxy_headers,
        },
    )
}

#[derive(Deserialize)]
struct Register {
    telegram_id: i64,
    phone_number: String,
}

#[derive(Deserialize)]
struct Verify {
    telegram_id: i64,
    verification_code: String,
}

async fn register(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Register>,
) -> Result<Json<Value>, Detail> {
    let phone = Phone::parse(
        &body.phone_number,
        state.config.default_country_code.as_deref(),
    )
    .map_err(|_| Detail::from(Error::InvalidPhone))?;
    if let Some(user) = users::find_by_telegram_id(&state.db, body.telegram_id)
        .await
        .map_err(Detail::from)?
        && user.phone != phone.as_str()
    {
        return Err(Detail::new(
            StatusCode::BAD_REQUEST,
            "This Telegram account is already registered with another phone number",
        ));
    }
    binding::link_phone(&state, &phone, body.telegram_id, Profile::default())
        .await
        .map_err(Detail::from)?;
    otp::request_code_living(&state, &phone, state.config.legacy_verify_ttl)
        .await
        .map_err(Detail::from)?;
    Ok(Json(json!({ "message": "Verification code sent" })))
}

async fn verify(
    State(state): State<AppState>,
    Body(body): Body<Verify>,
) -> Result<Json<Value>, Detail> {
    let invalid = || Detail::new(StatusCode::BAD_REQUEST, "Invalid or expired code");
    // An unknown account looks like a wrong code: no enumeration.
    let user = users::find_by_telegram_id(&state.db, body.telegram_id)
        .await
        .map_err(Detail::from)?
        .ok_or_else(invalid)?;
    if user.is_verified {
        return Err(Detail::new(
            StatusCode::BAD_REQUEST,
            "User already verified",
        ));
    }
    let phone = Phone::from_telegram(&user.phone).map_err(|_| invalid())?;
    match otp::consume_code(&state, &phone, body.verification_code.trim()).await {
        Ok(_) => Ok(Json(json!({ "message": "User successfully verified" }))),
        Err(Error::InvalidCode) => Err(invalid()),
        Err(err) => Err(err.into()),
    }
}
