//! Refresh tokens for clients granted `offline_access`: `<grant id>.<secret>`, one live token per
//! grant, kept in Redis as a keyed hash beside the grant. Each use replaces it (rotation); an old
//! one presented again ends the grant, so a stolen token works at most until its owner refreshes.
//! Revoking the grant (a replayed code, the revocation endpoint) ends its refresh token too.

use std::time::Duration;

use super::{Grant, OAuthError, Oidc, clients::Client};
use crate::{
    crypto::random_token,
    error::{Error, Result},
    store::Rotated,
};

/// How long a grant may be refreshed, from the code it began with: a month, after which the
/// customer logs in again.
pub(super) const REFRESH_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

const GRANT_ID_LEN: usize = 16;
const SECRET_LEN: usize = 40;

fn hash(oidc: &Oidc, secret: &str) -> String {
    oidc.hasher.secret("oidc refresh token", secret)
}

/// A refresh token for the grant (replacing any before it).
pub(super) async fn issue(oidc: &Oidc, grant: &Grant) -> Result<String> {
    let secret = random_token(SECRET_LEN);
    let json = serde_json::to_string(grant).map_err(|e| Error::Internal(e.into()))?;
    oidc.redis
        .store_refresh(&grant.id, &hash(oidc, &secret), &json, REFRESH_TTL)
        .await?;
    Ok(format!("{}.{secret}", grant.id))
}

/// The grant id of a token shaped like a refresh token.
pub(super) fn grant_of(token: &str) -> Option<&str> {
    let (grant_id, secret) = token.split_once('.')?;
    let well_formed =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (well_formed(grant_id, GRANT_ID_LEN) && well_formed(secret, SECRET_LEN)).then_some(grant_id)
}

/// Trades the client's refresh token for its grant and the next refresh token, which replaces
/// it at once (the grant keeps its expiry).
pub(super) async fn trade(
    oidc: &Oidc,
    client: &Client,
    token: &str,
) -> Result<(Grant, String), OAuthError> {
    let invalid = || {
        OAuthError::refused(
            "invalid_grant",
            "the refresh token is wrong, expired or used",
        )
    };
    let Some(grant_id) = grant_of(token) else {
        return Err(invalid());
    };
    let secret = &token[GRANT_ID_LEN + 1..];
    let next = random_token(SECRET_LEN);
    let rotated = oidc
        .redis
        .rotate_refresh(grant_id, &hash(oidc, secret), &hash(oidc, &next))
        .await?;
    let json = match rotated {
        Rotated::Granted(json) => json,
        Rotated::Reused => {
            oidc.redis.revoke_grant(grant_id, REFRESH_TTL).await?;
            tracing::warn!("an old refresh token came back: the grant has ended");
            crate::meters::oidc("refresh_reused");
            return Err(invalid());
        }
        Rotated::Missing => return Err(invalid()),
    };
    let mut grant: Grant = serde_json::from_str(&json).map_err(|e| Error::Internal(e.into()))?;
    grant.id = grant_id.to_string();
    if grant.request.client_id != client.id || oidc.redis.grant_revoked(grant_id).await? {
        oidc.redis.end_refresh(grant_id).await?;
        return Err(invalid());
    }
    Ok((grant, format!("{grant_id}.{next}")))
}

/// Ends the grant's refresh token, if `client` holds it; whether it did.
pub(super) async fn revoke(oidc: &Oidc, client: &Client, grant_id: &str) -> Result<bool> {
    let Some(record) = oidc.redis.refresh_record(grant_id).await? else {
        return Ok(false);
    };
    let Some((_, json)) = record.split_once('|') else {
        return Ok(false);
    };
    let grant: Grant = serde_json::from_str(json).map_err(|e| Error::Internal(e.into()))?;
    if grant.request.client_id != client.id {
        return Ok(false);
    }
    oidc.redis.end_refresh(grant_id).await?;
    Ok(true)
}
