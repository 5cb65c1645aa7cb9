//! The site's session: who is calling (`SiteUser`), refreshing, logging out.

use axum::{
    Json,
    extract::{FromRequestParts, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Failure, Flat, Pair, REFRESH_PATH, from_core, parse};
use crate::{
    api::{
        adapters::{Detail, DetailBody, DetailShape, RawBody},
        cookies::{self, ACCESS_COOKIE},
        extract::bearer_or_cookie,
    },
    core::session::{Claims, TokenKind},
    error::Error,
    state::AppState,
};

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Refresh)]
pub(super) struct Refresh {
    /// Without it, the `refresh_token` cookie is used.
    #[serde(default)]
    refresh: Option<String>,
}

/// The user behind a valid access token (header, else cookie) of an open session.
pub(super) struct SiteUser(pub(super) Claims);

impl FromRequestParts<AppState> for SiteUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(token) = bearer_or_cookie(&parts.headers, ACCESS_COOKIE) else {
            return Err(unauthenticated(
                "Authentication credentials were not provided.",
            ));
        };
        match state.sessions.authenticate(&token).await {
            Ok(claims) => Ok(SiteUser(claims)),
            Err(Error::Unauthorized) => {
                Err(unauthenticated("Given token not valid for any token type"))
            }
            Err(err) => Err(Detail::from(err).into_response()),
        }
    }
}

pub(super) fn unauthenticated(detail: &str) -> Response {
    let mut response = Detail::new(StatusCode::UNAUTHORIZED, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"api\""),
    );
    response
}

/// Rotate a refresh token (older integration)
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh/",
    tag = "legacy",
    operation_id = "bot_codes_refresh",
    request_body = Option<Refresh>,
    responses(
        (status = 200, description = "A new pair; the cookies are set again.", body = Pair),
        (status = 400, description = "Not JSON of this shape.", body = Failure),
        (status = 401, description = "No valid refresh token, or a used one.", body = Failure),
        (status = 403, description = "Posted by a browser from another site.", body = Failure),
        (status = 413, description = "The body is over 16 KiB.", body = Failure),
        (status = 415, description = "A body that is not `application/json`.", body = Failure),
    )
)]
pub(super) async fn refresh(
    State(state): State<AppState>,
    jar: CookieJar,
    RawBody(body, _): RawBody<Flat>,
) -> Response {
    let from_body = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        match parse::<Option<Refresh>>(&body) {
            Ok(b) => b.and_then(|b| b.refresh),
            Err(response) => return *response,
        }
    };
    let Some(token) = from_body.or_else(|| {
        jar.get(cookies::REFRESH_COOKIE)
            .map(|c| c.value().to_string())
    }) else {
        return from_core(Error::Unauthorized);
    };
    match state.sessions.refresh(&token).await {
        Ok((_, pair)) => {
            let jar = cookies::with_tokens_at(jar, &pair, state.http.cookie_secure, REFRESH_PATH);
            (jar, Json(Pair::from(&pair))).into_response()
        }
        Err(err) => from_core(err),
    }
}

#[derive(Deserialize, ToSchema)]
#[schema(as = bot_codes::Logout)]
pub(super) struct Logout {
    /// The session's refresh token.
    refresh: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LoggedOut)]
pub(super) struct LoggedOut {
    /// Always true.
    success: bool,
    #[schema(example = "Successfully logged out")]
    message: &'static str,
}

/// This endpoint's error body.
#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LogoutFailure)]
pub(super) struct LogoutFailure {
    /// Always false.
    success: bool,
    error: LogoutError,
}

#[derive(Serialize, ToSchema)]
#[schema(as = bot_codes::LogoutError)]
pub(super) struct LogoutError {
    #[schema(example = "Invalid or expired refresh token")]
    message: &'static str,
}

fn bad_refresh(message: &'static str) -> Response {
    let body = LogoutFailure {
        success: false,
        error: LogoutError { message },
    };
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// Log out (older integration)
///
/// Ends the session at once: its access and refresh tokens stop working. The cookies are
/// cleared.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout/",
    tag = "legacy",
    operation_id = "bot_codes_logout",
    request_body = Logout,
    security(("access_token" = []), ("access_cookie" = [])),
    responses(
        (status = 200, description = "Logged out.", body = LoggedOut),
        (status = 400, description = "No refresh token, or not one of this user's sessions.", body = LogoutFailure),
        (status = 401, description = "No valid access token, or the session is closed.", body = DetailBody),
        (status = 403, description = "Posted by a browser from another site.", body = DetailBody),
        (status = 413, description = "The body is over 16 KiB.", body = DetailBody),
        (status = 415, description = "A body that is not `application/json`.", body = DetailBody),
    )
)]
pub(super) async fn logout(
    State(state): State<AppState>,
    SiteUser(access): SiteUser,
    jar: CookieJar,
    RawBody(body, _): RawBody<DetailShape>,
) -> Response {
    let presented = serde_json::from_slice::<Logout>(&body).map(|body| body.refresh);
    let Ok(presented) = presented else {
        return bad_refresh("Refresh token is required");
    };
    // Only a refresh token of the caller's own sessions is accepted.
    let refresh = match state
        .sessions
        .tokens()
        .decode(&presented, TokenKind::Refresh)
    {
        Ok(claims) if claims.sub == access.sub => claims,
        _ => return bad_refresh("Invalid or expired refresh token"),
    };
    let mut ended = state.sessions.revoke(&refresh).await;
    if ended.is_ok() && access.sid != refresh.sid {
        ended = state.sessions.revoke(&access).await;
    }
    if let Err(err) = ended {
        return Detail::from(err).into_response();
    }
    let jar = cookies::cleared_at(jar, state.http.cookie_secure, REFRESH_PATH);
    let body = LoggedOut {
        success: true,
        message: "Successfully logged out",
    };
    (jar, Json(body)).into_response()
}
