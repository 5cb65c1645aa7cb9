//! Extractors: JSON bodies with our error format, the client's IP, and the session's user.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts},
    http::{HeaderMap, Request, StatusCode, header, request::Parts},
};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;
use tower_governor::{GovernorError, key_extractor::KeyExtractor};

use super::{
    cookies::ACCESS_COOKIE,
    error::{ApiError, require_object},
};
use crate::{crypto::constant_time_eq, error::Error, session, state::AppState};

/// A JSON object body, as `axum::Json` reads it (`Content-Type: application/json`, then
/// serde), rejecting with our JSON error format. Only an object: serde would read a struct from
/// a JSON array too.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !json_content_type(req.headers()) {
            return Err(ApiError::InvalidRequest {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: "Expected request with `Content-Type: application/json`".into(),
            });
        }
        let RawBody(body) = RawBody::from_request(req, state).await?;
        let axum::Json(value) = axum::Json::<T>::from_bytes(&body)?;
        require_object(&body)?;
        Ok(Json(value))
    }
}

/// `application/json` or `application/<something>+json`, as axum accepts.
fn json_content_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body as bytes, for handlers that parse it themselves (an optional body, a secret read
/// first); one over the size limit is `413 payload_too_large`, as with [`Json`].
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|rejection| match rejection.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                status => ApiError::InvalidRequest {
                    status,
                    message: rejection.body_text(),
                },
            })
    }
}

/// The client's address: the TCP peer, or behind a trusted proxy the address that proxy saw
/// (the right-most `X-Forwarded-For` entry, which a client cannot forge).
#[derive(Clone, Copy, Debug)]
pub struct ClientIp {
    pub trust_proxy_headers: bool,
}

impl ClientIp {
    pub fn of<T>(&self, req: &Request<T>) -> Option<IpAddr> {
        if self.trust_proxy_headers
            && let Some(ip) = forwarded_for(req.headers())
        {
            return Some(ip);
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
    }
}

fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<IpAddr>().ok())
        .next_back()
}

impl KeyExtractor for ClientIp {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<Self::Key, GovernorError> {
        self.of(req).ok_or(GovernorError::UnableToExtractKey)
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// A bearer token from `Authorization`, or else from the named cookie.
pub fn bearer_or_cookie(headers: &HeaderMap, cookie: &str) -> Option<String> {
    bearer(headers).or_else(|| {
        CookieJar::from_headers(headers)
            .get(cookie)
            .map(|c| c.value().to_string())
    })
}

/// The user behind a valid access token of an open session.
pub struct AuthUser(pub session::Claims);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_or_cookie(&parts.headers, ACCESS_COOKIE).ok_or(Error::Unauthorized)?;
        Ok(AuthUser(session::authenticate(state, &token).await?))
    }
}

/// The shop backend, authenticated by one of `SERVICE_API_KEYS`.
pub struct ServiceKey;

impl FromRequestParts<AppState> for ServiceKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(&parts.headers).ok_or(Error::Unauthorized)?;
        // Every configured key is compared, in constant time, whichever matches.
        let matched = state
            .config
            .service_api_keys
            .iter()
            .fold(false, |found, key| {
                found | constant_time_eq(presented.as_bytes(), key.expose().as_bytes())
            });
        if matched {
            Ok(ServiceKey)
        } else {
            Err(Error::Unauthorized.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_appended_address_wins() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 10.0.0.7".parse().unwrap());
        assert_eq!(forwarded_for(&headers), Some("10.0.0.7".parse().unwrap()));
    }
}
