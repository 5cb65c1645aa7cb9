//! Adapter 2: a trusted bot registers a user by telegram_id (a code goes to that account), then
//! the user is verified by telegram_id and code.
//!
//! - `POST /register` `{"telegram_id","phone_number"}` + `X-Bot-Secret` →
//!   `200 {"message":"Verification code sent"}`
//! - `POST /verify` `{"telegram_id","verification_code"}` →
//!   `200 {"message":"User successfully verified"}`
//!
//! Codes live `LEGACY_VERIFY_TTL_SECONDS` (60 s by default, as that integration expects). Both
//! routes exist only while `BOT_SECRET` is set.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Body, BotSecret, Detail, DetailBody, telegram_id::AnyTelegramId};
use crate::{core::profile::Profile, error::Error, state::AppState};

/// Mounted only with `BOT_SECRET` set: `/verify` takes no secret, and without a bot to
/// register accounts it would only answer guesses.
pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    if state.legacy.bot_secret.is_none() {
        return OpenApiRouter::new();
    }
    let routes = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(verify));
    // Code endpoints: the same per-IP limit as /api/v1/otp/*.
    crate::http::rate_limit::per_ip(routes, state, super::refused)
}

#[derive(Deserialize, ToSchema)]
#[schema(as = register_verify::Register)]
pub(crate) struct Register {
    telegram_id: AnyTelegramId,
    #[schema(example = "+998901234567")]
    phone_number: String,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = register_verify::Verify)]
pub(crate) struct Verify {
    telegram_id: AnyTelegramId,
    #[schema(example = "482913")]
    verification_code: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = register_verify::Message)]
pub(crate) struct Message {
    #[schema(example = "Verification code sent")]
    message: &'static str,
}

/// Register a Telegram account and send it a code (older integration)
///
/// The calling bot vouches for the account ↔ phone pair. The code lives
/// `LEGACY_VERIFY_TTL_SECONDS` (60 s by default).
#[utoipa::path(
    post,
    path = "/register",
    tag = "legacy",
    operation_id = "register_verify_register",
    request_body = Register,
    security(("bot_secret" = [])),
    responses(
        (status = 200, description = "A code is on its way.", body = Message),
        (status = 400, description = "Invalid phone number, or the account has another phone.", body = DetailBody),
        (status = 403, description = "No valid `X-Bot-Secret`.", body = DetailBody),
        (status = 409, description = "The phone is linked to another Telegram account: no code.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
        (status = 429, description = "Too many codes or requests.", body = DetailBody),
    )
)]
async fn register(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Register>,
) -> Result<Json<Message>, Detail> {
    let phone = state
        .otp
        .phone(&body.phone_number)
        .map_err(|e| Detail::from(Error::from(e)))?;
    if let Some(user) = state
        .profiles
        .of_account(body.telegram_id.0)
        .await
        .map_err(Detail::from)?
        && user.phone != phone
    {
        return Err(Detail::new(
            StatusCode::BAD_REQUEST,
            "This Telegram account is already registered with another phone number",
        ));
    }
    state
        .bindings
        .link_vouched(&phone, body.telegram_id.0, Profile::default())
        .await
        .map_err(Detail::from)?;
    state
        .codes
        .request_code_living(&phone, state.legacy.verify_ttl, None)
        .await
        .map_err(Detail::from)?;
    Ok(Json(Message {
        message: "Verification code sent",
    }))
}

/// Verify a registered account with its code (older integration)
#[utoipa::path(
    post,
    path = "/verify",
    tag = "legacy",
    operation_id = "register_verify_verify",
    request_body = Verify,
    responses(
        (status = 200, description = "Verified.", body = Message),
        (status = 400, description = "Invalid or expired code (also for an unknown account), or the \
            user is already verified.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
        (status = 429, description = "Too many attempts or requests.", body = DetailBody),
    )
)]
async fn verify(
    State(state): State<AppState>,
    Body(body): Body<Verify>,
) -> Result<Json<Message>, Detail> {
    let invalid = || Detail::new(StatusCode::BAD_REQUEST, "Invalid or expired code");
    // An unknown account looks like a wrong code: no enumeration.
    let user = state
        .profiles
        .of_account(body.telegram_id.0)
        .await
        .map_err(Detail::from)?
        .ok_or_else(invalid)?;
    if user.is_verified {
        return Err(Detail::new(
            StatusCode::BAD_REQUEST,
            "User already verified",
        ));
    }
    match state
        .codes
        .consume_code(&user.phone, body.verification_code.trim())
        .await
    {
        Ok(_) => Ok(Json(Message {
            message: "User successfully verified",
        })),
        Err(Error::InvalidCode) => Err(invalid()),
        Err(err) => Err(err.into()),
    }
}
