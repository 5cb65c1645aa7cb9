//! otpgram as an OpenID Connect provider: a shop's site logs its customers in with its
//! framework's stock OIDC client (authorization code flow, PKCE), and otpgram's hosted login page
//! is where the customer proves who they are (a code, or one tap in Telegram).
//!
//! - [`authorize`] checks an authorization request (client, exact redirect URI, PKCE) and, for
//!   a customer with a session, issues a code (single use, [`CODE_TTL`]).
//! - [`exchange`] trades a code for an ID token and an access token (both RS256, signed with
//!   [`keys`]); [`userinfo`] answers the access token with the same claims.
//! - [`clients`] registers the shops' sites; [`logout`] ends the customer's login session
//!   when a client asks.
//!
//! Errors carry the codes RFC 6749 and OpenID Connect Core name (`invalid_request`,
//! `invalid_grant`, …).

mod authorize;
pub(crate) mod clients;
mod error;
mod exchange;
pub(crate) mod keys;
pub(crate) mod logout;
mod refresh;
mod tokens;

use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::{
    crypto::CodeHasher,
    domain::Lang,
    error::{Error, Result},
    store::RedisStore,
};

pub(crate) use authorize::*;
use authorize::{Grant, code_hash};
pub(crate) use clients::Client;
pub(crate) use error::OAuthError;
pub(crate) use exchange::*;
pub(crate) use tokens::{Issued, UserClaims};

/// otpgram as an OpenID Connect provider. Owns its handles (one `Arc`): the issuer URL (`None`:
/// OpenID Connect is off), the signing keys, the database (clients, keys), the customers' records, Redis (codes,
/// grants, refresh tokens), the keyed hash, whether this is production (which refuses plain-HTTP
/// redirect URIs but loopback), and the `locale` of a customer who chose no language.
pub(crate) type Oidc = crate::core::Component<Handles>;

pub(crate) struct Handles {
    pub issuer: Option<String>,
    pub keys: keys::SigningKeys,
    pub db: DatabaseConnection,
    pub redis: RedisStore,
    pub profiles: crate::core::profile::Profiles,
    pub hasher: CodeHasher,
    pub production: bool,
    pub default_language: Lang,
}

/// How long an authorization code works (once).
pub(crate) const CODE_TTL: Duration = Duration::from_secs(60);
/// The scopes otpgram knows; others are ignored, as OpenID Connect asks. `telegram` is
/// otpgram's own: the customer's Telegram user id (`telegram_id`); `offline_access` adds a
/// refresh token.
pub(crate) const SCOPES: [&str; 5] = ["openid", "phone", "profile", "telegram", "offline_access"];
/// The most of `state` or `nonce` otpgram keeps with a code (they come back in the redirect
/// and the ID token): a client needs far less, and nobody may park kilobytes in Redis.
pub(crate) const MAX_PARAMETER: usize = 512;

/// The claims behind an access token otpgram issued.
pub(crate) async fn userinfo(oidc: &Oidc, access_token: &str) -> Result<UserClaims> {
    let subject = tokens::check_access(oidc, access_token).await?;
    let user = oidc.profiles.of(subject.user_id).await?;
    Ok(tokens::user_claims(oidc, &user, &subject.scope))
}

/// The issuer (`iss`), when OpenID Connect is on.
pub(crate) fn issuer(oidc: &Oidc) -> Result<&str> {
    oidc.issuer.as_deref().ok_or(Error::OidcDisabled)
}
