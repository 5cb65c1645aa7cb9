//! Drop-in replacements for the shapes older integrations used: the same paths and JSON, as thin
//! layers over the one core (same code store, limits, users and sessions).

pub(super) mod bot_codes;
pub(super) mod chat_tokens;
pub(super) mod register_verify;
pub(super) mod telegram_id;

use std::marker::PhantomData;

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Request},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

use crate::{
    error::Error,
    http::{ApiError, error::set_retry_after, extract::Json},
    state::AppState,
};

/// The error shape those integrations expect: `{"detail": "..."}`.
pub(super) struct Detail {
    pub status: StatusCode,
    pub detail: String,
    pub retry_after: Option<std::time::Duration>,
}

impl Detail {
    pub(super) fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            retry_after: None,
        }
    }
}

/// The error body of the `{"detail": ...}` integrations.
#[derive(Serialize, ToSchema)]
pub(super) struct DetailBody {
    #[schema(example = "Invalid or expired code")]
    detail: String,
}

/// A per-IP refusal in this shape.
pub(super) fn refused(retry_after: std::time::Duration) -> Response {
    Detail {
        status: StatusCode::TOO_MANY_REQUESTS,
        detail: "Too many requests, try again later".into(),
        retry_after: Some(retry_after),
    }
    .into_response()
}

impl IntoResponse for Detail {
    fn into_response(self) -> Response {
        let body = DetailBody {
            detail: self.detail,
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(after) = self.retry_after {
            set_retry_after(&mut response, after);
        }
        response
    }
}

/// Core errors every adapter maps the same way: the status (and `Retry-After`) the API answers
/// with, in the wording these integrations expect; `InvalidCode` and the like are mapped by each
/// endpoint, which knows its integration's words. What the API would not show, these do not
/// either.
impl From<Error> for Detail {
    fn from(err: Error) -> Self {
        let err = ApiError::from(err);
        err.log_if_unexpected();
        let (status, retry_after) = (err.status(), err.retry_after());
        let detail = match err.code() {
            "rate_limited" => "Too many requests, try again later",
            "too_many_attempts" if retry_after.is_some() => "Too many requests, try again later",
            "too_many_attempts" => "Too many attempts, request a new code",
            "invalid_phone" => "Invalid phone number",
            "invalid_code" => "Invalid or expired code",
            "phone_taken" => "This phone number is linked to another Telegram account",
            "unavailable" => "Service temporarily unavailable",
            _ => {
                if !matches!(err, ApiError::Core(Error::Internal(_))) {
                    tracing::error!(error = ?err, "adapter request failed");
                }
                return Detail::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal error");
            }
        };
        Detail {
            status,
            detail: detail.into(),
            retry_after,
        }
    }
}

/// How an older shape writes a refusal (a body it cannot take, a foreign origin, a limit).
pub(super) trait Shape {
    fn refuse(status: StatusCode, message: &str) -> Response;
}

/// The `{"detail": ...}` shape.
pub(super) struct DetailShape;

impl Shape for DetailShape {
    fn refuse(status: StatusCode, message: &str) -> Response {
        Detail::new(status, message).into_response()
    }
}

/// The body as bytes, for handlers that check something before they parse it; one over the
/// size limit is `413` in the shape `S`.
pub(super) struct RawBody<S>(pub Bytes, PhantomData<S>);

impl<S: Shape> FromRequest<AppState> for RawBody<S> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        crate::http::extract::RawBody::from_request(req, state)
            .await
            .map(|body| RawBody(body.0, PhantomData))
            .map_err(|rejection| S::refuse(rejection.status(), &rejection.to_string()))
    }
}

/// A JSON object body; a malformed one is `422 {"detail": ...}`, an oversized one `413`.
pub(super) struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = Detail;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(ApiError::PayloadTooLarge) => Err(Detail::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large",
            )),
            Err(rejection) => Err(Detail::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                rejection.to_string(),
            )),
        }
    }
}

/// The calling bot, proven by `X-Bot-Secret` (compared in constant time). Without `BOT_SECRET`
/// configured these endpoints are off: every call is refused.
pub(super) struct BotSecret;

impl FromRequestParts<AppState> for BotSecret {
    type Rejection = Detail;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get("x-bot-secret")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match &state.legacy.bot_secret {
            Some(secret) if secret.matches(presented) => {
                log_secret_call(parts.uri.path(), true);
                Ok(BotSecret)
            }
            _ => {
                log_secret_call(parts.uri.path(), false);
                Err(Detail::new(StatusCode::FORBIDDEN, "Forbidden"))
            }
        }
    }
}

/// Every call that presents the bot's secret is logged (never the secret itself, nor a code or
/// a full phone): such a call can link phones and open sessions.
pub(super) fn log_secret_call(path: &str, accepted: bool) {
    if accepted {
        tracing::info!(path, "older integration: call with the bot secret");
    } else {
        tracing::warn!(
            path,
            "older integration: call with a wrong or missing bot secret"
        );
    }
}
