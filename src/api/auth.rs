//! Sessions over HTTP: refresh, logout and the current user.

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    cookies::{self, ACCESS_COOKIE, REFRESH_COOKIE},
    error::{ApiError, ErrorBody, parse_optional_json},
    extract::{AuthUser, RawBody, bearer_or_cookie},
    same_origin,
};
use crate::{
    core::profile,
    core::session::{TokenKind, TokenPair},
    domain::User,
    error::Error,
    state::AppState,
};

pub(super) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    // Refresh and logout act on the session in the cookies.
    let cookie_posts = OpenApiRouter::new()
        .routes(routes!(refresh))
        .routes(routes!(logout));
    same_origin::guard(cookie_posts, state, same_origin::refused).routes(routes!(me))
}

/// The public view of a user.
#[derive(Serialize, ToSchema)]
pub(super) struct UserView {
    id: Uuid,
    /// E.164.
    #[schema(example = "+998901234567")]
    phone: String,
    /// The linked Telegram account; none once the phone has moved to another account.
    telegram_id: Option<i64>,
    /// The Telegram username, if the account has one.
    username: Option<String>,
    /// The shop's name for the customer, else Telegram's first and last name.
    #[schema(example = "Aziza Karimova")]
    full_name: Option<String>,
    /// Whether the user has logged in with a code at least once.
    is_verified: bool,
    created_at: DateTime<Utc>,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            phone: user.phone.as_str().to_string(),
            telegram_id: user.telegram_id.map(|id| id.0),
            username: user.username.clone(),
            full_name: profile::full_name(user),
            is_verified: user.is_verified,
            created_at: user.created_at,
        }
    }
}

/// A token pair (and the user, after a login).
#[derive(Serialize, ToSchema)]
pub(crate) struct Session {
    /// A short-lived JWT for `Authorization: Bearer`.
    access_token: String,
    /// Single use: each refresh returns a new one; presenting a used one ends the session.
    refresh_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds the access token stays valid.
    expires_in: u64,
    /// Present after a login, absent after a refresh.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<UserView>,
}

impl Session {
    pub(crate) fn new(tokens: &TokenPair, user: Option<&User>) -> Self {
        Self {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            token_type: "Bearer",
            expires_in: tokens.access_ttl.as_secs(),
            user: user.map(UserView::from),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(super) struct Me {
    user: UserView,
}

#[derive(Deserialize, ToSchema)]
pub(super) struct RefreshRequest {
    /// Without it, the `refresh_token` cookie is used.
    refresh_token: Option<String>,
}

/// The refresh token from the body, else from the cookie.
fn refresh_token(body: &[u8], jar: &CookieJar) -> Result<Option<String>, ApiError> {
    let from_body = parse_optional_json::<RefreshRequest>(body)?.and_then(|b| b.refresh_token);
    Ok(from_body.or_else(|| jar.get(REFRESH_COOKIE).map(|c| c.value().to_string())))
}

/// Refresh a session
///
/// Trades a refresh token (from the body, or else the `refresh_token` cookie) for a new pair.
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "sessions",
    request_body = Option<RefreshRequest>,
    responses(
        (status = 200, description = "A new pair; the cookies are set again.", body = Session),
        (status = 400, description = "`invalid_request`: the body is not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid refresh token; `token_reused`: a used \
            token came back, so the session is closed. The cookies are cleared.", body = ErrorBody),
        (status = 403, description = "`forbidden_origin`: a browser posted from another site.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: a body that is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a field has the wrong type.", body = ErrorBody),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    jar: CookieJar,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let token = refresh_token(&body, &jar)?.ok_or(Error::Unauthorized)?;
    let secure = state.http.cookie_secure;
    match state.sessions.refresh(&token).await {
        Ok((_, tokens)) => {
            let jar = cookies::with_tokens(jar, &tokens, secure);
            Ok((jar, axum::Json(Session::new(&tokens, None))).into_response())
        }
        // The session is dead either way: make the browser forget it too.
        Err(err @ (Error::TokenReused | Error::Unauthorized)) => {
            Ok((cookies::cleared(jar, secure), ApiError::from(err)).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

/// Log out
///
/// Closes the session of the access token (header or cookie) or, failing that, of the refresh
/// token (body or cookie), and clears the cookies.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "sessions",
    request_body = Option<RefreshRequest>,
    security((), ("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 204, description = "The session is closed."),
        (status = 400, description = "`invalid_request`: the body is not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid token.", body = ErrorBody),
        (status = 403, description = "`forbidden_origin`: a browser posted from another site.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: a body that is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: a field has the wrong type.", body = ErrorBody),
    )
)]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    // The body is checked even when the access token decides: a malformed one is an error.
    let refresh = refresh_token(&body, &jar)?;
    let access = bearer_or_cookie(&headers, ACCESS_COOKIE)
        .and_then(|t| state.sessions.tokens().decode(&t, TokenKind::Access).ok());
    let claims = match access {
        Some(claims) => claims,
        None => state
            .sessions
            .tokens()
            .decode(&refresh.ok_or(Error::Unauthorized)?, TokenKind::Refresh)?,
    };
    state.sessions.revoke(&claims).await?;
    let jar = cookies::cleared(jar, state.http.cookie_secure);
    Ok((StatusCode::NO_CONTENT, jar).into_response())
}

/// The current user
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "sessions",
    security(("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 200, description = "The session's user.", body = Me),
        (status = 401, description = "`unauthorized`: no valid access token, or the session is closed.",
            body = ErrorBody),
    )
)]
async fn me(
    State(state): State<AppState>,
    AuthUser(claims): AuthUser,
) -> Result<Response, ApiError> {
    let user = state.profiles.of(claims.sub).await?;
    Ok(axum::Json(Me {
        user: UserView::from(&user),
    })
    .into_response())
}
