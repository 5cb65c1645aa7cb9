//! The shop's bot asks for a code; the site registers the customer with it.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use chrono::SubsecRound;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Failure, Flat, Pair, REFRESH_PATH, failure, from_core, parse, profile::User};
use crate::{
    api::{
        adapters::{RawBody, telegram_id::AnyTelegramId},
        cookies,
    },
    core::profile::Profile,
    domain::{FullName, InvalidName},
    error::Error,
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::CreateCode)]
pub(super) struct CreateCode {
    /// `BOT_SECRET`. Read and checked before the rest of the body is looked at.
    #[serde(rename = "secret_key")]
    #[allow(dead_code)]
    _secret_key: String,
    telegram_id: AnyTelegramId,
    /// At least 9 digits.
    #[schema(example = "+998901234567")]
    phone_number: String,
    /// The customer's name as the shop knows it; kept on the user, before Telegram's.
    #[schema(example = "Aziza Karimova")]
    #[serde(default)]
    full_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::CodeCreated)]
pub(super) struct CodeCreated {
    /// Always true.
    success: bool,
    /// The code, for the calling bot to deliver.
    #[schema(example = "482913")]
    code: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    remaining_seconds: u64,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Register)]
pub(super) struct Register {
    #[schema(example = "+998901234567")]
    phone: String,
    #[schema(example = "482913")]
    code: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::Registered)]
pub(super) struct Registered {
    /// Always true.
    success: bool,
    #[schema(example = "User registered successfully")]
    message: &'static str,
    data: RegisteredData,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::RegisteredData)]
pub(super) struct RegisteredData {
    user: User,
    tokens: Pair,
}

/// Create a code for the calling bot to deliver (older integration)
///
/// Off unless `BOT_SECRET` is set. The bot vouches for the account ↔ phone pair.
#[utoipa::path(
    post,
    path = "/api/v1/auth/telegram/otp/create/",
    tag = "legacy",
    operation_id = "bot_codes_create_code",
    request_body = CreateCode,
    responses(
        (status = 200, description = "The code.", body = CodeCreated),
        (status = 400, description = "Not JSON of this shape, or an invalid phone number.", body = Failure),
        (status = 403, description = "Wrong or missing `secret_key`.", body = Failure),
        (status = 409, description = "The phone is linked to another Telegram account: no code.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 429, description = "Too many codes or requests.", body = Failure),
    )
)]
pub(super) async fn create_code(
    State(state): State<AppState>,
    RawBody(body, _): RawBody<Flat>,
) -> Response {
    // The secret is checked before anything else is looked at.
    let presented = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["secret_key"].as_str().map(str::to_string))
        .unwrap_or_default();
    let authorised = state
        .legacy
        .bot_secret
        .as_ref()
        .is_some_and(|secret| secret.matches(&presented));
    crate::api::adapters::log_secret_call("/api/v1/auth/telegram/otp/create/", authorised);
    if !authorised {
        return failure(StatusCode::FORBIDDEN, "Unauthorized", None);
    }
    let body: CreateCode = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    if body
        .phone_number
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        < 9
    {
        return failure(
            StatusCode::BAD_REQUEST,
            "Phone number must have at least 9 digits",
            None,
        );
    }
    let Ok(phone) = state.otp.phone(&body.phone_number) else {
        return from_core(Error::InvalidPhone);
    };
    // A blank name is no name; any other is kept as given, or refused.
    let full_name = match body.full_name.as_deref().map(FullName::parse) {
        None | Some(Err(InvalidName::Blank)) => None,
        Some(Ok(name)) => Some(name),
        Some(Err(err)) => {
            return failure(
                StatusCode::BAD_REQUEST,
                &format!("Invalid request: full_name: {err}"),
                None,
            );
        }
    };
    let profile = Profile {
        full_name,
        ..Profile::default()
    };
    // The calling bot vouches for the account ↔ phone pair; a phone linked to another account
    // is not taken.
    if let Err(err) = state
        .bindings
        .link_vouched(&phone, body.telegram_id.0, profile)
        .await
    {
        return from_core(err);
    }
    match state.codes.create_code_for_bot(&phone).await {
        Ok((code, ttl)) => {
            let expires_at =
                chrono::Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default();
            Json(CodeCreated {
                success: true,
                code,
                expires_at: expires_at.trunc_subsecs(0),
                remaining_seconds: ttl.as_secs(),
            })
            .into_response()
        }
        Err(err) => from_core(err),
    }
}

/// Register (or log in) with a code from the bot (older integration)
///
/// The tokens come in the body and as httpOnly cookies (the refresh cookie scoped to
/// `/api/v1/auth/refresh/`).
#[utoipa::path(
    post,
    path = "/api/v1/auth/register/telegram/",
    tag = "legacy",
    operation_id = "bot_codes_register",
    request_body = Register,
    responses(
        (status = 201, description = "Logged in.", body = Registered),
        (status = 400, description = "Not JSON of this shape, an invalid phone, or an invalid or \
            expired code.", body = Failure),
        (status = 403, description = "Posted by a browser from another site.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 415, description = "A body that is not `application/json`.", body = Failure),
        (status = 429, description = "Too many attempts or requests.", body = Failure),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    RawBody(body, _): RawBody<Flat>,
) -> Response {
    let body: Register = match parse(&body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let Ok(phone) = state.otp.phone(&body.phone) else {
        return from_core(Error::InvalidPhone);
    };
    match state.codes.verify_code(&phone, body.code.trim()).await {
        Ok(login) => {
            let jar =
                cookies::with_tokens_at(jar, &login.tokens, state.http.cookie_secure, REFRESH_PATH);
            let body = Registered {
                success: true,
                message: "User registered successfully",
                data: RegisteredData {
                    user: User::new(&login.user, state.bot.default_language),
                    tokens: Pair::from(&login.tokens),
                },
            };
            (StatusCode::CREATED, jar, Json(body)).into_response()
        }
        Err(err) => from_core(err),
    }
}
