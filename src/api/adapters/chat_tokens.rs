//! Adapter 3: token endpoints keyed by Telegram chat id. Those integrations issued tokens to
//! anyone who knew a chat id; here the calls are server-to-server and need the bot's secret
//! (`X-Bot-Secret`), except the refresh, where the refresh token is the credential.
//!
//! - `POST /api/auth/telegram-register/` `{"telegram_chat_id","phone_number","language"}`
//! - `POST /api/auth/telegram-login/` `{"telegram_chat_id","phone_number"?}`
//! - `POST /api/auth/telegram-auth/` `{"telegram_chat_id"}` → `{"authenticated", "user"?}`
//! - `POST /api/token/refresh/` `{"refresh"}` → `{"access","refresh"}` (rotating, reuse-detected)

use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Body, BotSecret, Detail};
use crate::{
    binding,
    domain::Phone,
    error::Error,
    session,
    state::AppState,
    users::{self, Profile, UserRecord},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/telegram-register/", post(register))
        .route("/api/auth/telegram-login/", post(login))
        .route("/api/auth/telegram-auth/", post(authenticated))
        .route("/api/token/refresh/", post(refresh))
}

#[derive(Deserialize)]
struct Register {
    telegram_chat_id: i64,
    phone_number: String,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    telegram_chat_id: i64,
    #[serde(default)]
    phone_number: Option<String>,
}

#[derive(Deserialize)]
struct ChatId {
    telegram_chat_id: i64,
}

#[derive(Deserialize)]
struct Refresh {
    refresh: String,
}

fn user_view(user: &UserRecord) -> Value {
    json!({
        "id": user.id,
        "phone_number": user.phone,
        "language": user.language,
        "is_active": user.telegram_id.is_some(),
    })
}

/// A new session for `user` in this integration's shape.
async fn tokens_for(state: &AppState, user: &UserRecord) -> Result<Json<Value>, Detail> {
    let pair = session::start(state, user.id).await.map_err(Detail::from)?;
    Ok(Json(json!({
        "access": pair.access_token,
        "refresh": pair.refresh_token,
        "user": user_view(user),
    })))
}

fn parse_phone(state: &AppState, input: &str) -> Result<Phone, Detail> {
    Phone::parse(input, state.config.default_country_code.as_deref())
        .map_err(|_| Error::InvalidPhone.into())
}

async fn register(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Register>,
) -> Result<Json<Value>, Detail> {
    let phone = parse_phone(&state, &body.phone_number)?;
    let profile = Profile {
        language: body.language.filter(|l| !l.trim().is_empty()),
        ..Profile::default()
    };
    // The calling bot vouches for the chat ↔ phone pair (that is what the secret is for).
    let linked = binding::link_phone(&state, &phone, body.telegram_chat_id, profile)
        .await
        .map_err(Detail::from)?;
    tokens_for(&state, &linked.user).await
}

async fn login(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<Login>,
) -> Result<Json<Value>, Detail> {
    let user = users::find_by_telegram_id(&state.db, body.telegram_chat_id)
        .await
        .map_err(Detail::from)?
        .ok_or_else(|| Detail::new(StatusCode::NOT_FOUND, "User not found"))?;
    if let Some(phone) = &body.phone_number {
        let phone = parse_phone(&state, phone)?;
        if phone.as_str() != user.phone {
            return Err(Detail::new(StatusCode::NOT_FOUND, "User not found"));
        }
    }
    tokens_for(&state, &user).await
}

async fn authenticated(
    _: BotSecret,
    State(state): State<AppState>,
    Body(body): Body<ChatId>,
) -> Result<Json<Value>, Detail> {
    let user = users::find_by_telegram_id(&state.db, body.telegram_chat_id)
        .await
        .map_err(Detail::from)?;
    Ok(Json(match user {
        Some(user) => json!({ "authenticated": true, "user": user_view(&user) }),
        None => json!({ "authenticated": false }),
    }))
}

/// The error those integrations' clients look for.
fn token_not_valid() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "detail": "Given token not valid for any token type", "code": "token_not_valid" })),
    )
        .into_response()
}

async fn refresh(State(state): State<AppState>, Body(body): Body<Refresh>) -> Response {
    match session::refresh(&state, &body.refresh).await {
        Ok((_, pair)) => {
            Json(json!({ "access": pair.access_token, "refresh": pair.refresh_token }))
                .into_response()
        }
        Err(Error::Unauthorized | Error::TokenReused) => token_not_valid(),
        Err(err) => Detail::from(err).into_response(),
    }
}
