//! Extractors: JSON bodies with our error format, the client's IP, and the session's user.

use std::net::{IpAddr, SocketAddr};

use axum::{
    body::Bytes,
    extract::{ConnectInfo, FromRequest, FromRequestParts},
    http::{HeaderMap, Request, StatusCode, header, request::Parts},
};
use axum_extra::extract::CookieJar;
use serde::de::DeserializeOwned;

use super::{
    cookies::ACCESS_COOKIE,
    error::{ApiError, require_object},
};
use crate::{core::session, error::Error, state::AppState};

/// A JSON object body, as `axum::Json` reads it (`Content-Type: application/json`, then
/// serde), rejecting with our JSON error format. Only an object: serde would read a struct from
/// a JSON array too.
pub(crate) struct Json<T>(pub T);

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
pub(crate) fn json_content_type(headers: &HeaderMap) -> bool {
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
pub(crate) struct RawBody(pub Bytes);

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

/// The client's address. With no trusted proxy, the TCP peer. Behind `hops` trusted proxies,
/// each appending the address it saw to `X-Forwarded-For`, the entry `hops` places from the
/// right: the first one a client could not have written. If that entry is missing or is not an
/// address, the peer address is used, never an entry further left (which the client wrote).
#[derive(Clone, Copy, Debug)]
pub(crate) struct ClientIp {
    pub trusted_hops: u32,
}

impl ClientIp {
    pub(crate) fn new(http: &crate::config::HttpConfig) -> Self {
        Self {
            trusted_hops: http.trusted_proxy_hops,
        }
    }

    pub(crate) fn of<T>(&self, req: &Request<T>) -> Option<IpAddr> {
        self.from(req.extensions(), req.headers())
    }

    fn from(&self, extensions: &axum::http::Extensions, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        if self.trusted_hops == 0 {
            return peer;
        }
        forwarded_for(headers, self.trusted_hops).or(peer)
    }
}

/// The client's address as a handler's argument (see [`ClientIp`]); `None` when it cannot be
/// told.
pub(crate) struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(
            ClientIp::new(&state.http).from(&parts.extensions, &parts.headers),
        ))
    }
}

/// The `X-Forwarded-For` entry `hops` places from the right (1: the last), if it is an address.
fn forwarded_for(headers: &HeaderMap, hops: u32) -> Option<IpAddr> {
    let mut entries = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        // A header that is not text cannot be read as a list: nothing in it is trusted.
        entries.extend(value.to_str().ok()?.split(','));
    }
    let index = entries.len().checked_sub(usize::try_from(hops).ok()?)?;
    entries[index].trim().parse().ok()
}

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<String> {
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
pub(crate) fn bearer_or_cookie(headers: &HeaderMap, cookie: &str) -> Option<String> {
    bearer(headers).or_else(|| {
        CookieJar::from_headers(headers)
            .get(cookie)
            .map(|c| c.value().to_string())
    })
}

/// The user behind a valid access token of an open session.
pub(crate) struct AuthUser(pub session::Claims);

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_or_cookie(&parts.headers, ACCESS_COOKIE).ok_or(Error::Unauthorized)?;
        Ok(AuthUser(state.sessions.authenticate(&token).await?))
    }
}

/// The shop backend, authenticated by one of `SERVICE_API_KEYS`.
pub(crate) struct ServiceKey;

impl FromRequestParts<AppState> for ServiceKey {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = bearer(&parts.headers).ok_or(Error::Unauthorized)?;
        // Every configured key is compared, in constant time, whichever matches.
        let matched = state
            .http
            .service_api_keys
            .iter()
            .fold(false, |found, key| found | key.matches(&presented));
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

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_entry_the_trusted_proxies_appended_wins() {
        let h = headers(&["1.2.3.4, 10.0.0.7"]);
        assert_eq!(forwarded_for(&h, 1), Some("10.0.0.7".parse().unwrap()));
        assert_eq!(forwarded_for(&h, 2), Some("1.2.3.4".parse().unwrap()));
        // Entries across several headers read as one list.
        let h = headers(&["6.6.6.6", "203.0.113.9, 10.0.0.1"]);
        assert_eq!(forwarded_for(&h, 2), Some("203.0.113.9".parse().unwrap()));
    }

    #[test]
    fn a_missing_or_malformed_entry_is_never_replaced_by_one_further_left() {
        // Two proxies are trusted but only one entry is there: the client could have written it.
        assert_eq!(forwarded_for(&headers(&["1.2.3.4"]), 2), None);
        // The entry at the trusted position is not an address: nothing to its left counts.
        assert_eq!(forwarded_for(&headers(&["1.2.3.4, junk"]), 1), None);
        assert_eq!(forwarded_for(&headers(&["1.2.3.4, "]), 1), None);
        assert_eq!(forwarded_for(&HeaderMap::new(), 1), None);
    }
}
