//! Sessions over HTTP: refresh, logout and the current user.

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE},
    error::{ApiError, parse_optional_json},
    extract::{AuthUser, bearer_or_cookie},
};
use crate::{
    error::Error,
    session::{self, TokenKind, TokenPair},
    state::AppState,
    users::{self, UserRecord},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/refresh", post(refresh))
        .route("/api/v1/auth/logout", post(logout))
        .route("/api/v1/me", get(me))
}

/// The public view of a user.
pub fn user_view(user: &UserRecord) -> Value {
    json!({
        "id": user.id,
        "phone": user.phone,
        "telegram_id": user.telegram_id,
        "is_verified": user.is_verified,
        "created_at": user.created_at,
    })
}

/// The body that carries a token pair (and the user, after a login).
pub fn session_body(tokens: &TokenPair, user: Option<&UserRecord>) -> Value {
    let mut body = json!({
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "token_type": "Bearer",
        "expires_in": tokens.access_ttl.as_secs(),
    });
    if let Some(user) = user {
        body["user"] = user_view(user);
    }
    body
}

#[derive(Deserialize)]
struct RefreshRequest {
    refresh_token: Option<String>,
}

/// The refresh token from the body, else from the cookie.
fn refresh_token(body: &Bytes, jar: &CookieJar) -> Result<Option<String>, ApiError> {
    let from_body = parse_optional_json::<RefreshRequest>(body)?.and_then(|b| b.refresh_token);
    Ok(from_body.or_else(|| jar.get(REFRESH_COOKIE).map(|c| c.value().to_string())))
}

async fn refresh(
    State(state): State<AppState>,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, ApiError> {
    let token = refresh_token(&body, &jar)?.ok_or(Error::Unauthorized)?;
    let secure = state.config.cookie_secure;
    match session::refresh(&state, &token).await {
        Ok((_, tokens)) => {
            let jar = cookies::with_tokens(jar, &tokens, secure);
            Ok((jar, axum::Json(session_body(&tokens, None))).into_response())
        }
        // The session is dead either way: make the browser forget it too.
        Err(err @ (Error::TokenReused | Error::Unauthorized)) => {
            Ok((cookies::cleared(jar, secure), ApiError::from(err)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer_or_cookie(&headers, ACCESS_COOKIE)
        .and_then(|t| state.tokens.decode(&t, TokenKind::Access).ok());
    let claims = match access {
        Some(claims) => claims,
        None => {
            let token = refresh_token(&body, &jar)?.ok_or(Error::Unauthorized)?;
            state.tokens.decode(&token, TokenKind::Refresh)?
        }
    };
    session::revoke(&state, &claims.sid).await?;
    let jar = cookies::cleared(jar, state.config.cookie_secure);
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

async fn me(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, ApiError> {
    let user = users::find_by_id(&state.db, claims.sub)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(axum::Json(json!({ "user": user_view(&user) })).into_response())
}
