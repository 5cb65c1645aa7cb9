//! The ID token and the access token a code is traded for, and the claims about the customer
//! both (and `userinfo`) carry. RS256, with the key id in the header.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Grant, Oidc, issuer};
use crate::{
    core::profile,
    crypto::random_token,
    domain::User as UserRow,
    error::{Error, Result},
};

/// How long an access token (for `userinfo`) and an ID token live.
pub(super) const TOKEN_TTL: Duration = Duration::from_secs(3600);

/// Tokens for the client.
pub(crate) struct Issued {
    pub access_token: String,
    pub id_token: String,
    pub expires_in: u64,
    pub scope: String,
    /// With `offline_access`: the next one replaces it, once.
    pub refresh_token: Option<String>,
}

/// What otpgram says about a customer: in the ID token and from `userinfo`.
#[derive(Debug, Serialize)]
pub(crate) struct UserClaims {
    /// The user's id: stable, never reused.
    pub sub: String,
    /// With the `phone` scope: E.164, verified by the code or the Telegram account it is
    /// linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// With the `telegram` scope: the Telegram user id the phone is linked to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telegram_id: Option<i64>,
    /// With the `profile` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    azp: &'a str,
    iat: i64,
    exp: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    amr: [&'static str; 1],
    at_hash: String,
    #[serde(flatten)]
    user: UserClaims,
}

/// An access token's claims (RFC 9068's shape: `typ` `at+jwt`, the issuer as audience).
#[derive(Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    aud: String,
    sub: Uuid,
    client_id: String,
    scope: String,
    iat: i64,
    exp: i64,
    jti: String,
    /// The grant (the code) the token was issued from: revoking it revokes the token.
    #[serde(default)]
    gid: String,
}

pub(super) async fn issue(oidc: &Oidc, grant: &Grant, user: &UserRow) -> Result<Issued> {
    let request = &grant.request;
    let iss = issuer(oidc)?;
    let keys = oidc.keys.current(&oidc.db).await?;
    let now = chrono::Utc::now().timestamp();
    let exp = now + TOKEN_TTL.as_secs() as i64;
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(keys.kid.clone());
    let access = AccessClaims {
        iss: iss.to_string(),
        aud: iss.to_string(),
        sub: user.id,
        client_id: request.client_id.clone(),
        scope: request.scope.clone(),
        iat: now,
        exp,
        jti: random_token(16),
        gid: grant.id.clone(),
    };
    let mut access_header = header.clone();
    access_header.typ = Some("at+jwt".into());
    let access_token = jsonwebtoken::encode(&access_header, &access, &keys.signing)
        .map_err(|e| Error::Internal(e.into()))?;
    let id = IdClaims {
        iss,
        aud: &request.client_id,
        azp: &request.client_id,
        iat: now,
        exp,
        auth_time: grant.auth_time,
        nonce: request.nonce.as_deref(),
        amr: [grant.method.as_str()],
        at_hash: half_hash(&access_token),
        user: user_claims(oidc, user, &request.scope),
    };
    let id_token =
        jsonwebtoken::encode(&header, &id, &keys.signing).map_err(|e| Error::Internal(e.into()))?;
    Ok(Issued {
        access_token,
        id_token,
        expires_in: TOKEN_TTL.as_secs(),
        scope: request.scope.clone(),
        refresh_token: None,
    })
}

/// `at_hash`: the left half of the token's SHA-256, base64url (OpenID Connect Core 3.1.3.6).
fn half_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// The claims `scope` grants (OpenID Connect Core 5.4): `openid` the subject alone, `phone` the
/// number, `profile` the name, `telegram` the Telegram id. The ID token and `userinfo` both
/// come from here, so they always agree.
pub(super) fn user_claims(oidc: &Oidc, user: &UserRow, scope: &str) -> UserClaims {
    let has = |wanted: &str| scope.split_whitespace().any(|s| s == wanted);
    let (phone_scope, profile_scope) = (has("phone"), has("profile"));
    UserClaims {
        sub: user.id.to_string(),
        phone_number: phone_scope.then(|| user.phone.as_str().to_string()),
        phone_number_verified: phone_scope.then_some(user.is_verified),
        telegram_id: user.telegram_id.map(|id| id.0).filter(|_| has("telegram")),
        name: profile_scope.then(|| profile::full_name(user)).flatten(),
        preferred_username: profile_scope.then(|| user.username.clone()).flatten(),
        locale: profile_scope.then(|| {
            user.language
                .unwrap_or(oidc.default_language)
                .code()
                .to_string()
        }),
    }
}

/// Whose access token this is, and what it may read.
pub(super) struct Subject {
    pub user_id: Uuid,
    pub scope: String,
}

/// Checks an access token otpgram issued: signature (a published key), issuer, audience,
/// expiry, and that its grant was not revoked.
pub(super) async fn check_access(oidc: &Oidc, token: &str) -> Result<Subject> {
    let claims = verify_access(oidc, token, true).await?;
    if !claims.gid.is_empty() && oidc.redis.grant_revoked(&claims.gid).await? {
        return Err(Error::Unauthorized);
    }
    Ok(Subject {
        user_id: claims.sub,
        scope: claims.scope,
    })
}

/// The grant behind an access token otpgram issued to `client_id` (expired or not), if it is
/// one.
pub(super) async fn grant_of(oidc: &Oidc, token: &str, client_id: &str) -> Result<Option<String>> {
    match verify_access(oidc, token, false).await {
        Ok(claims) if claims.client_id == client_id && !claims.gid.is_empty() => {
            Ok(Some(claims.gid))
        }
        Ok(_) | Err(Error::Unauthorized) => Ok(None),
        Err(err) => Err(err),
    }
}

async fn verify_access(oidc: &Oidc, token: &str, live: bool) -> Result<AccessClaims> {
    let iss = issuer(oidc)?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| Error::Unauthorized)?;
    if header.alg != Algorithm::RS256 || header.typ.as_deref() != Some("at+jwt") {
        return Err(Error::Unauthorized);
    }
    let keys = oidc.keys.current(&oidc.db).await?;
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| keys.verifying(kid))
        .ok_or(Error::Unauthorized)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[iss]);
    validation.set_audience(&[iss]);
    validation.leeway = 5;
    validation.validate_exp = live;
    Ok(
        jsonwebtoken::decode::<AccessClaims>(token, key, &validation)
            .map_err(|_| Error::Unauthorized)?
            .claims,
    )
}

/// Who an ID token otpgram issued names, and for which client: a logout's `id_token_hint`.
pub(super) struct Hint {
    pub client_id: String,
    pub user_id: Uuid,
}

#[derive(Deserialize)]
struct HintClaims {
    aud: String,
    sub: Uuid,
}

/// Reads an ID token otpgram signed (expired or not, as RP-Initiated Logout allows); `None`
/// when it is not one.
pub(super) async fn read_hint(oidc: &Oidc, token: &str) -> Result<Option<Hint>> {
    let iss = issuer(oidc)?;
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return Ok(None);
    };
    if header.alg != Algorithm::RS256 || header.typ.as_deref() == Some("at+jwt") {
        return Ok(None);
    }
    let keys = oidc.keys.current(&oidc.db).await?;
    let Some(key) = header.kid.as_deref().and_then(|kid| keys.verifying(kid)) else {
        return Ok(None);
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[iss]);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    Ok(jsonwebtoken::decode::<HintClaims>(token, key, &validation)
        .ok()
        .map(|data| Hint {
            client_id: data.claims.aud,
            user_id: data.claims.sub,
        }))
}
