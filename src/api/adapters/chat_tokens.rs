//! Adapter 3: token endpoints keyed by Telegram chat id. Those integrations issued tokens to
//! anyone who knew a chat id; here the calls are server-to-server and need the bot's secret
//! (`X-Bot-Secret`), except the refresh, where the refresh token is the credential.
//!
//! - `POST /api/auth/telegram-register/` `{"telegram_chat_id","phone_number","language"}`
//! - `POST /api/auth/telegram-login/` `{"telegram_chat_id","phone_number"?}`
//! - `POST /api/auth/telegram-auth/` `{"telegram_chat_id"}` → `{"authenticated", "user"?}`
//! - `POST /api/token/refresh/` `{"refresh"}` → `{"access","refresh"}` (rotating, reuse-detected)

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Body, BotSecret, Detail, DetailBody, telegram_id::AnyTelegramId};
use crate::{
    core::profile::Profile,
    core::session,
    domain::{Lang, User},
    error::Error,
    state::AppState,
};

/// The calls made with the bot's secret go through the per-address limit, as every code
/// endpoint does; the refresh (the token is the credential) does not.
pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let with_secret = OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(authenticated));
    crate::http::rate_limit::per_ip(with_secret, state, super::refused).routes(routes!(refresh))
}

#[derive(Deserialize, ToSchema)]
#[schema(as = chat_tokens::Register)]
pub(crate) struct Register {
    telegram_chat_id: AnyTelegramId,
    #[schema(example = "+998901234567")]
    phone_number: String,
    /// `uz`, `ru` or `en` (others are ignored).
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = chat_tokens::Login)]
pub(crate) struct Login {
    telegram_chat_id: AnyTelegramId,
    /// When given, it must be the account's phone.
    #[serde(default)]
    phone_number: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = chat_tokens::ChatId)]
pub(crate) struct ChatId {
    telegram_chat_id: AnyTelegramId,
}

#[derive(Deserialize, ToSchema)]
#[schema(as = chat_tokens::Refresh)]
pub(crate) struct Refresh {
    refresh: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = chat_tokens::User)]
pub(crate) struct ChatUser {
    id: Uuid,
    #[schema(example = "+998901234567")]
    phone_number: String,
    language: Option<String>,
    /// Whether a Telegram account is linked.
    is_active: bool,
}

impl From<&User> for ChatUser {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            phone_number: user.phone.as_str().to_string(),
            language: user.language.map(|lang| lang.code().to_string()),
            is_active: user.telegram_id.is_some(),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = chat_tokens::Tokens)]
pub(crate) struct Tokens {
    access: String,
    refresh: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<ChatUser>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = chat_tokens::Authenticated)]
pub(crate) struct Authenticated {
    authenticated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<ChatUser>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = chat_tokens::TokenNotValid)]
pub(crate) struct TokenNotValid {
    #[schema(example = "Given token not valid for any token type")]
    detail: &'static str,
    #[schema(example = "token_not_valid")]
    code: &'static str,
}

/// A new session for `user` in this integration's shape.
async fn tokens_for(state: &AppState, user: &User) -> Result<Json<Tokens>, Detail> {
    let pair = state
        .sessions
        .start(user.id, session::Method::Telegram)
        .await
        .map_err(Detail::from)?;
    Ok(Json(Tokens {
        access: pair.access_token,
        refresh: pair.refresh_token,
        user: Some(user.into()),
    }))
}

/// Register a chat's account and open a session (older integration)
///
/// The calling bot vouches for the chat ↔ phone pair.
#[utoipa::path(
    post,
    path = "/api/auth/telegram-register/",
    tag = "legacy",
    operation_id = "chat_tokens_register",
    request_body = Register,
    security(("bot_secret" = [])),
    responses(
        (status = 200, description = "Registered; a new session.", body = Tokens),
        (status = 400, description = "Invalid phone number.", body = DetailBody),
        (status = 403, description = "No valid `X-Bot-Secret`.", body = DetailBody),
        (status = 409, description = "The phone is linked to another Telegram account: no session.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
        (status = 429, description = "Too many requests from this address.", body = DetailBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn register(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Register>,
) -> Result<Json<Tokens>, Detail> {
    let phone = state.otp.phone(&body.phone_number).map_err(Error::from)?;
    let profile = Profile {
        // Only a language the bot speaks is kept.
        language: body
            .language
            .as_deref()
            .and_then(Lang::parse)
            .map(|lang| lang.code().to_string()),
        ..Profile::default()
    };
    // The calling bot vouches for the chat ↔ phone pair (that is what the secret is for).
    // A phone linked to another account is not taken.
    let linked = state
        .bindings
        .link_vouched(&phone, body.telegram_chat_id.0, profile)
        .await
        .map_err(Detail::from)?;
    tokens_for(&state, &linked.user).await
}

/// Open a session for a chat's account (older integration)
///
/// A known chat gets a session (with `phone_number`, only if it is the account's phone). An
/// unknown chat with a free `phone_number` is registered first, as `telegram-register/` would:
/// the calling bot vouches for the pair (OvozPay's client makes exactly this call first). A
/// phone linked to another account is refused, with no session.
#[utoipa::path(
    post,
    path = "/api/auth/telegram-login/",
    tag = "legacy",
    operation_id = "chat_tokens_login",
    request_body = Login,
    security(("bot_secret" = [])),
    responses(
        (status = 200, description = "A new session (the account made first for a new chat).", body = Tokens),
        (status = 400, description = "Invalid phone number.", body = DetailBody),
        (status = 403, description = "No valid `X-Bot-Secret`.", body = DetailBody),
        (status = 404, description = "An unknown chat without a phone, or a known chat with another phone.", body = DetailBody),
        (status = 409, description = "The phone is linked to another Telegram account: no session.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
        (status = 429, description = "Too many requests from this address.", body = DetailBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn login(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Login>,
) -> Result<Json<Tokens>, Detail> {
    let user = state
        .profiles
        .of_account(body.telegram_chat_id.0)
        .await
        .map_err(Detail::from)?;
    let phone = match &body.phone_number {
        Some(phone) => Some(state.otp.phone(phone).map_err(Error::from)?),
        None => None,
    };
    let not_found = || Detail::new(StatusCode::NOT_FOUND, "User not found");
    match (user, phone) {
        (Some(user), Some(phone)) if phone != user.phone => Err(not_found()),
        (Some(user), _) => tokens_for(&state, &user).await,
        (None, Some(phone)) => {
            let linked = state
                .bindings
                .link_vouched(&phone, body.telegram_chat_id.0, Profile::default())
                .await
                .map_err(Detail::from)?;
            tokens_for(&state, &linked.user).await
        }
        (None, None) => Err(not_found()),
    }
}

/// Whether a chat has an account (older integration)
#[utoipa::path(
    post,
    path = "/api/auth/telegram-auth/",
    tag = "legacy",
    operation_id = "chat_tokens_authenticated",
    request_body = ChatId,
    security(("bot_secret" = [])),
    responses(
        (status = 200, description = "`authenticated`, with the user when there is one.", body = Authenticated),
        (status = 403, description = "No valid `X-Bot-Secret`.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
        (status = 429, description = "Too many requests from this address.", body = DetailBody,
            headers(("Retry-After" = u64, description = "Seconds to wait."))),
    )
)]
async fn authenticated(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<ChatId>,
) -> Result<Json<Authenticated>, Detail> {
    let user = state
        .profiles
        .of_account(body.telegram_chat_id.0)
        .await
        .map_err(Detail::from)?;
    Ok(Json(Authenticated {
        authenticated: user.is_some(),
        user: user.as_ref().map(ChatUser::from),
    }))
}

/// The error those integrations' clients look for.
fn token_not_valid() -> Response {
    let body = TokenNotValid {
        detail: "Given token not valid for any token type",
        code: "token_not_valid",
    };
    (StatusCode::UNAUTHORIZED, Json(body)).into_response()
}

/// Rotate a refresh token (older integration)
///
/// The refresh token is the credential; a used one closes the session.
#[utoipa::path(
    post,
    path = "/api/token/refresh/",
    tag = "legacy",
    operation_id = "chat_tokens_refresh",
    request_body = Refresh,
    responses(
        (status = 200, description = "A new pair (no `user`).", body = Tokens),
        (status = 401, description = "Not a valid refresh token, or a used one.", body = TokenNotValid),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 422, description = "The body is not JSON of this shape.", body = DetailBody),
    )
)]
async fn refresh(State(state): State<AppState>, Body(body): Body<Refresh>) -> Response {
    match state.sessions.refresh(&body.refresh).await {
        Ok((_, pair)) => Json(Tokens {
            access: pair.access_token,
            refresh: pair.refresh_token,
            user: None,
        })
        .into_response(),
        Err(Error::Unauthorized | Error::TokenReused) => token_not_valid(),
        Err(err) => Detail::from(err).into_response(),
    }
}
