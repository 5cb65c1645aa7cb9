//! The token endpoint's half: client authentication, trading a code (or a refresh token) for
//! tokens, and revocation.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use super::{Client, Grant, Issued, OAuthError, Oidc, clients, code_hash, refresh, tokens};
use crate::{crypto::constant_time_eq, error::Error, store::Redeemed};

/// The client at the token and revocation endpoints, however its credentials came (RFC 6749
/// 2.3.1: `client_secret_basic`, `client_secret_post`, or a public client's id alone).
pub(crate) struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A token request (RFC 6749 4.1.3).
pub(crate) struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// `grant_type=refresh_token`.
    pub refresh_token: Option<String>,
    pub client: ClientCredentials,
}

/// The registered client these credentials prove, or why not.
async fn authenticate(oidc: &Oidc, credentials: &ClientCredentials) -> Result<Client, OAuthError> {
    let client_id = credentials.client_id.as_deref().unwrap_or_default();
    let Some(client) = clients::find(oidc, client_id).await? else {
        return Err(OAuthError::refused("invalid_client", "unknown client"));
    };
    match (client.confidential, credentials.client_secret.as_deref()) {
        (true, Some(secret)) if clients::authenticates(oidc, &client, secret) => Ok(client),
        (true, _) => Err(OAuthError::refused(
            "invalid_client",
            "the client secret is wrong or missing",
        )),
        (false, Some(_)) => Err(OAuthError::refused(
            "invalid_client",
            "a public client has no secret",
        )),
        (false, None) => Ok(client),
    }
}

/// Revokes a token the client holds (RFC 7009): every token issued from the same code stops
/// working at once, on every replica. A token that is not otpgram's, or not this client's,
/// changes nothing and is answered the same way (RFC 7009 2.2).
pub(crate) async fn revoke(
    oidc: &Oidc,
    credentials: &ClientCredentials,
    token: &str,
) -> Result<(), OAuthError> {
    let client = authenticate(oidc, credentials).await?;
    let grant = match refresh::grant_of(token) {
        Some(grant) => refresh::revoke(oidc, &client, grant)
            .await?
            .then(|| grant.to_string()),
        None => tokens::grant_of(oidc, token, &client.id).await?,
    };
    if let Some(grant) = grant {
        oidc.redis
            .revoke_grant(&grant, refresh::REFRESH_TTL)
            .await?;
        crate::meters::oidc("token_revoked");
    }
    Ok(())
}

/// Trades a code (or, for a client granted `offline_access`, a refresh token) for tokens.
pub(crate) async fn exchange(oidc: &Oidc, request: TokenRequest) -> Result<Issued, OAuthError> {
    let grant_type = request.grant_type.as_deref().unwrap_or_default();
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Err(OAuthError::refused(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ));
    }
    // The client first: a wrong secret learns nothing about the code.
    let client = authenticate(oidc, &request.client).await?;
    if grant_type == "refresh_token" {
        let Some(token) = request.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
            return Err(OAuthError::refused(
                "invalid_request",
                "refresh_token is missing",
            ));
        };
        let (grant, next) = refresh::trade(oidc, &client, token).await?;
        return finish(oidc, grant, Some(next)).await;
    }
    let Some(code) = request.code.as_deref().filter(|c| !c.is_empty()) else {
        return Err(OAuthError::refused("invalid_request", "code is missing"));
    };
    // Taken at once: a code works once, whatever happens next; a second try revokes what the
    // first one got (whoever presents it again has it from somewhere).
    let (grant_id, grant) = match oidc
        .redis
        .redeem_auth_code(&code_hash(oidc, code), tokens::TOKEN_TTL)
        .await?
    {
        Redeemed::Taken(grant_id, grant) => (grant_id, grant),
        Redeemed::Replayed(grant_id) => {
            oidc.redis
                .revoke_grant(&grant_id, refresh::REFRESH_TTL)
                .await?;
            tracing::warn!("an authorization code was presented again: its tokens are revoked");
            crate::meters::oidc("code_replayed");
            return Err(OAuthError::refused(
                "invalid_grant",
                "the code is wrong, expired or already used",
            ));
        }
        Redeemed::Missing => {
            crate::meters::oidc("code_refused");
            return Err(OAuthError::refused(
                "invalid_grant",
                "the code is wrong, expired or already used",
            ));
        }
    };
    let mut grant: Grant = serde_json::from_str(&grant).map_err(|e| Error::Internal(e.into()))?;
    grant.id = grant_id;
    if grant.request.client_id != client.id {
        return Err(OAuthError::refused(
            "invalid_grant",
            "the code was issued to another client",
        ));
    }
    if request.redirect_uri.as_deref() != Some(grant.request.redirect_uri.as_str()) {
        return Err(OAuthError::refused(
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        ));
    }
    // A code issued without a challenge (none are now) is never traded on a made-up verifier.
    let verified = match (
        &grant.request.code_challenge,
        request.code_verifier.as_deref(),
    ) {
        (Some(challenge), Some(verifier)) => {
            let digest = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            constant_time_eq(digest.as_bytes(), challenge.as_bytes())
        }
        _ => false,
    };
    if !verified {
        return Err(OAuthError::refused(
            "invalid_grant",
            "code_verifier does not match the code_challenge",
        ));
    }
    let refresh_token = match grant
        .request
        .scope
        .split_whitespace()
        .any(|s| s == "offline_access")
    {
        true => Some(refresh::issue(oidc, &grant).await?),
        false => None,
    };
    finish(oidc, grant, refresh_token).await
}

/// The tokens for a grant, with its refresh token when `offline_access` was granted.
async fn finish(
    oidc: &Oidc,
    grant: Grant,
    refresh_token: Option<String>,
) -> Result<Issued, OAuthError> {
    let Some(user) = oidc.profiles.find(grant.user_id).await? else {
        return Err(OAuthError::refused("invalid_grant", "the customer is gone"));
    };
    let mut issued = tokens::issue(oidc, &grant, &user).await?;
    issued.refresh_token = refresh_token;
    crate::meters::oidc("tokens_issued");
    Ok(issued)
}
