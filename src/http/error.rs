//! HTTP errors: every failure becomes `{"error": "snake_case_code", "message": "..."}` with the
//! right status. Unexpected errors are logged once, with their cause chain, and shown opaquely.

use std::time::Duration;

use axum::{
    Json,
    extract::rejection::JsonRejection,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;

/// Every error of the API: a stable code to branch on, and a sentence for people.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    /// What went wrong, as a stable snake_case code (`invalid_phone`, `rate_limited`, ...).
    #[schema(example = "invalid_phone")]
    pub error: &'static str,
    /// What went wrong, for people; wording may change.
    #[schema(example = "not a valid phone number")]
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    #[error(transparent)]
    Core(#[from] Error),
    /// The body is not JSON of the expected shape; the message says what is wrong.
    #[error("{message}")]
    InvalidRequest { status: StatusCode, message: String },
    #[error("the request body is larger than this endpoint accepts")]
    PayloadTooLarge,
    #[error("no such endpoint")]
    NotFound,
    #[error("this endpoint does not accept that method")]
    MethodNotAllowed,
    #[error("the request took too long")]
    Timeout,
    #[error("too many requests from this address, slow down")]
    TooManyRequests { retry_after: Duration },
    /// A browser posted from a site that is neither this service nor a configured origin.
    #[error("requests from this origin are not allowed")]
    ForbiddenOrigin,
}

impl ApiError {
    /// The status this error answers with.
    pub(crate) fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The stable snake_case code this error answers with.
    pub(crate) fn code(&self) -> &'static str {
        self.status_and_code().1
    }

    /// Logs what the caller is not told (an unexpected error's cause chain, a dependency that
    /// is away): every error shape calls this once.
    pub(crate) fn log_if_unexpected(&self) {
        match self {
            ApiError::Core(Error::Internal(err)) => tracing::error!(error = ?err, "internal error"),
            ApiError::Core(Error::Unavailable { dependency, source }) => {
                tracing::warn!(dependency, error = %source, "dependency unavailable");
            }
            _ => {}
        }
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Core(err) => match err {
                Error::InvalidPhone => (StatusCode::BAD_REQUEST, "invalid_phone"),
                Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
                Error::InvalidCode => (StatusCode::BAD_REQUEST, "invalid_code"),
                Error::TooManyAttempts { .. } => {
                    (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
                }
                Error::PhoneTaken => (StatusCode::CONFLICT, "phone_taken"),
                Error::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
                Error::TokenReused => (StatusCode::UNAUTHORIZED, "token_reused"),
                Error::ShopNotFound => (StatusCode::NOT_FOUND, "shop_not_found"),
                Error::ChatNotFound => (StatusCode::NOT_FOUND, "chat_not_found"),
                Error::NotificationNotFound => (StatusCode::NOT_FOUND, "notification_not_found"),
                Error::LoginNotFound => (StatusCode::NOT_FOUND, "login_not_found"),
                Error::OidcDisabled => (StatusCode::NOT_FOUND, "oidc_disabled"),
                Error::LoginRequired => (StatusCode::UNAUTHORIZED, "login_required"),
                Error::Throttled { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
                Error::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request"),
                Error::Unavailable { .. } => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
                Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            },
            ApiError::InvalidRequest { status, .. } => (*status, "invalid_request"),
            ApiError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::Timeout => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            ApiError::ForbiddenOrigin => (StatusCode::FORBIDDEN, "forbidden_origin"),
        }
    }

    /// How long the caller should wait before trying again, when it should.
    pub(crate) fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Core(
                Error::RateLimited { retry_after } | Error::Throttled { retry_after },
            ) => Some(*retry_after),
            ApiError::Core(Error::TooManyAttempts { retry_after }) => *retry_after,
            ApiError::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        self.log_if_unexpected();
        let message = match &self {
            ApiError::Core(Error::Internal(_)) => "something went wrong on our side".to_string(),
            ApiError::Core(Error::Unavailable { dependency, .. }) => {
                format!("{dependency} is unavailable, try again shortly")
            }
            other => other.to_string(),
        };
        let mut response = (
            status,
            Json(ErrorBody {
                error: code,
                message,
            }),
        )
            .into_response();
        if let Some(retry_after) = self.retry_after() {
            set_retry_after(&mut response, retry_after);
        }
        response
    }
}

/// Sets `Retry-After` in whole seconds, rounded up: "retry after 0 seconds" (or 59 when 59.9
/// are left) would invite a retry that fails. Every error shape of the API uses this.
pub(crate) fn set_retry_after(response: &mut Response, after: Duration) {
    let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
}

impl From<crate::domain::InvalidPhone> for ApiError {
    fn from(invalid: crate::domain::InvalidPhone) -> Self {
        Self::Core(invalid.into())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            status => ApiError::InvalidRequest {
                status,
                message: rejection.body_text(),
            },
        }
    }
}

/// Whether a body is a JSON object or `null` by its first token. serde reads a struct from a
/// JSON array too (`["…"]`), which the API does not accept.
pub(crate) fn object_or_null(body: &[u8]) -> bool {
    let body = body.trim_ascii();
    body.starts_with(b"{") || body == b"null"
}

/// Parses an optional JSON body (absent or empty is `None`) with the same errors as [`super::Json`].
pub(crate) fn parse_optional_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<Option<T>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    // `null` is as good as no body.
    let parsed =
        serde_json::from_slice::<Option<T>>(body).map_err(|e| ApiError::InvalidRequest {
            status: if e.is_data() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::BAD_REQUEST
            },
            message: format!("invalid JSON body: {e}"),
        })?;
    require_object(body)?;
    Ok(parsed)
}

/// `422 invalid_request` unless the body is a JSON object (or `null`, for a `T` that takes it):
/// see [`object_or_null`].
pub(crate) fn require_object(body: &[u8]) -> Result<(), ApiError> {
    if object_or_null(body) {
        Ok(())
    } else {
        Err(ApiError::InvalidRequest {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "invalid JSON body: expected an object".into(),
        })
    }
}
