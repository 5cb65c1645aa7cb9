//! `http`: how the API listens, and who may call it.

use std::{net::SocketAddr, time::Duration};

use url::Url;

use super::{ConfigError, Secret, env::Raw, invalid, seconds};

#[derive(Clone, Debug)]
pub struct HttpConfig {
    pub bind_addr: SocketAddr,
    pub request_timeout: Duration,
    /// The shop's origins: the only other sites whose pages may call the session endpoints.
    pub cors_allowed_origins: Vec<String>,
    pub cookie_secure: bool,
    /// Requests per minute per client address on the code endpoints; `0` turns the limit off.
    pub rate_limit_per_ip_per_minute: u32,
    /// Proxies in front of the service that append to `X-Forwarded-For` (0: use the peer
    /// address). The client is the entry this many hops from the right.
    pub trusted_proxy_hops: u32,
    /// Keys the shop backend authenticates with (several, so a key can be rotated).
    pub service_api_keys: Vec<Secret>,
    /// When set, `GET /metrics` needs `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// `Strict-Transport-Security: max-age=…` on every answer (`HSTS_MAX_AGE_SECONDS`): a year
    /// in production, off in development; `0` turns it off where a proxy in front sets it.
    pub hsts_max_age: Option<u64>,
}

/// A year: what browsers' preload lists ask for.
const PRODUCTION_HSTS_MAX_AGE: u64 = 365 * 24 * 3600;

impl HttpConfig {
    pub(super) fn from_raw(raw: &Raw, production: bool) -> Result<Self, ConfigError> {
        let bind_addr = match (&raw.bind_addr, raw.port) {
            (Some(addr), _) => addr
                .parse()
                .map_err(|_| invalid("BIND_ADDR", "must be host:port, e.g. 0.0.0.0:8080"))?,
            (None, Some(port)) => SocketAddr::from(([0, 0, 0, 0], port)),
            (None, None) => SocketAddr::from(([0, 0, 0, 0], 8080)),
        };
        Ok(Self {
            bind_addr,
            request_timeout: seconds("REQUEST_TIMEOUT_SECONDS", raw.request_timeout_seconds, 1)?,
            cors_allowed_origins: origins(raw.cors_allowed_origins.as_deref())?,
            cookie_secure: raw.cookie_secure,
            rate_limit_per_ip_per_minute: raw.rate_limit_per_ip_per_minute,
            // The older boolean means one proxy.
            trusted_proxy_hops: raw
                .trusted_proxy_hops
                .unwrap_or(u32::from(raw.trust_proxy_headers)),
            service_api_keys: service_keys(raw)?,
            metrics_token: raw
                .metrics_token
                .clone()
                .filter(|t| !t.is_empty())
                .map(Secret::new),
            hsts_max_age: raw
                .hsts_max_age_seconds
                .or(production.then_some(PRODUCTION_HSTS_MAX_AGE))
                .filter(|&seconds| seconds > 0),
        })
    }
}

fn origins(list: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let origins = list
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().trim_end_matches('/').to_string())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    for origin in &origins {
        if origin == "*" {
            return Err(invalid(
                "CORS_ALLOWED_ORIGINS",
                "cannot be * (cookies need explicit origins)",
            ));
        }
        origin.parse::<Url>().map_err(|_| {
            invalid(
                "CORS_ALLOWED_ORIGINS",
                format!("has a bad origin {origin:?}"),
            )
        })?;
    }
    Ok(origins)
}

/// `SERVICE_API_KEY` and `SERVICE_API_KEYS` together, comma-separated.
fn service_keys(raw: &Raw) -> Result<Vec<Secret>, ConfigError> {
    raw.service_api_key
        .iter()
        .chain(raw.service_api_keys.iter())
        .flat_map(|keys| keys.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            if k.len() < 16 {
                Err(invalid(
                    "SERVICE_API_KEYS",
                    "holds a key shorter than 16 characters",
                ))
            } else {
                Ok(Secret::new(k))
            }
        })
        .collect()
}
