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

pub(crate) mod clients;
pub(crate) mod keys;
pub(crate) mod logout;
mod refresh;
mod tokens;

use std::time::Duration;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    core::{login_session::LoginSession, session::Method},
    crypto::{constant_time_eq, random_token},
    error::{Error, Result},
    state::AppState,
    store::{Redeemed, sql::users},
};

pub(crate) use clients::Client;
pub(crate) use tokens::{Issued, UserClaims};

/// otpgram as a provider: its issuer URL (`None`: OpenID Connect is off) and signing keys.
pub(crate) struct Provider {
    pub issuer: Option<String>,
    pub keys: keys::SigningKeys,
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

/// An authorization request as the client sent it (query parameters of the login page).
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct AuthRequest {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// `web_message`: the widget's popup hands the answer to its opener instead of
    /// redirecting.
    pub response_mode: Option<String>,
    pub ui_locales: Option<String>,
    /// `none`: answer without showing anything; `login` (or `select_account`): make the
    /// customer log in again; `consent` is accepted (the customer consents by logging in).
    pub prompt: Option<String>,
    /// The most seconds since the customer last proved who they are.
    pub max_age: Option<String>,
}

/// What the client asked the page to do about an existing login session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Prompt {
    /// Reuse a live session (single sign-on), or show the page.
    #[default]
    Default,
    /// Never show the page: a code from the live session, or `login_required`.
    None,
    /// Always make the customer log in again.
    Login,
}

/// A request that passed every check: what the code will be bound to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Authorized {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub web_message: bool,
    #[serde(default)]
    pub prompt: Prompt,
    #[serde(default)]
    pub max_age: Option<u64>,
}

/// Why an authorization request was refused.
#[derive(Debug)]
pub(crate) enum Refused {
    /// Shown to the customer, never sent anywhere: the client is unknown or the redirect URI
    /// is not one of its own (sending the customer there could hand the answer to anyone).
    Here {
        error: &'static str,
        message: String,
    },
    /// Sent back to the client's redirect URI (with its `state`).
    Back {
        to: Authorized,
        error: &'static str,
        message: String,
    },
}

/// Checks an authorization request (OpenID Connect Core 3.1.2.1, RFC 7636).
pub(crate) async fn authorize(
    state: &AppState,
    request: &AuthRequest,
) -> Result<Authorized, RefusedOr> {
    issuer(state)?;
    let here = |error, message: &str| {
        RefusedOr::Refused(Refused::Here {
            error,
            message: message.to_string(),
        })
    };
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let client = clients::find(state, client_id).await?.ok_or_else(|| {
        here(
            "invalid_client",
            "This site is not registered with otpgram.",
        )
    })?;
    let redirect_uri = request.redirect_uri.as_deref().unwrap_or_default();
    if !client.redirects_to(redirect_uri) {
        return Err(here(
            "invalid_request",
            "The site asked to return to an address it did not register.",
        ));
    }
    // A state too long to carry is not sent back: the error goes to the client without it.
    let state_fits = request
        .state
        .as_deref()
        .is_none_or(|s| s.len() <= MAX_PARAMETER);
    let authorized = Authorized {
        client_id: client.id.clone(),
        client_name: client.name.clone(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope_of(request.scope.as_deref()),
        state: request.state.clone().filter(|_| state_fits),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        web_message: request.response_mode.as_deref() == Some("web_message"),
        prompt: Prompt::Default,
        max_age: None,
    };
    let back = |error, message: &str| {
        RefusedOr::Refused(Refused::Back {
            to: authorized.clone(),
            error,
            message: message.to_string(),
        })
    };
    if !state_fits {
        return Err(back("invalid_request", "state is longer than 512 bytes"));
    }
    if request.response_type.as_deref() != Some("code") {
        return Err(back(
            "unsupported_response_type",
            "only the authorization code flow (response_type=code) is supported",
        ));
    }
    let scopes = request.scope.as_deref().unwrap_or_default();
    if !scopes.split_whitespace().any(|s| s == "openid") {
        return Err(back("invalid_scope", "the scope must include openid"));
    }
    // S256 PKCE for every client, confidential ones too (RFC 9700 2.1.1): a code taken from a
    // redirect is worth nothing without the verifier the client kept.
    match (
        request.code_challenge.as_deref(),
        request.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {}
        (Some(_), Some("S256")) => {
            return Err(back(
                "invalid_request",
                "code_challenge is not an S256 challenge",
            ));
        }
        (Some(_), _) => {
            return Err(back(
                "invalid_request",
                "code_challenge_method must be S256",
            ));
        }
        (None, _) => {
            return Err(back(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ));
        }
    }
    if request
        .nonce
        .as_deref()
        .is_some_and(|n| n.len() > MAX_PARAMETER)
    {
        return Err(back("invalid_request", "nonce is longer than 512 bytes"));
    }
    let prompts: Vec<&str> = request
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    let prompt = match (
        prompts.contains(&"none"),
        prompts.contains(&"login") || prompts.contains(&"select_account"),
    ) {
        (true, _) if prompts.len() > 1 => {
            return Err(back(
                "invalid_request",
                "prompt=none cannot be combined with another value",
            ));
        }
        (true, _) => Prompt::None,
        (false, true) => Prompt::Login,
        (false, false) => Prompt::Default,
    };
    let max_age = match request.max_age.as_deref().map(str::parse::<u64>) {
        None => None,
        Some(Ok(seconds)) => Some(seconds),
        Some(Err(_)) => {
            return Err(back(
                "invalid_request",
                "max_age must be a whole number of seconds",
            ));
        }
    };
    Ok(Authorized {
        prompt,
        max_age,
        ..authorized
    })
}

/// An error that is either a refusal or a failure of otpgram itself.
#[derive(Debug)]
pub(crate) enum RefusedOr {
    Refused(Refused),
    Failed(Error),
}

impl From<Error> for RefusedOr {
    fn from(err: Error) -> Self {
        RefusedOr::Failed(err)
    }
}

/// The scopes kept: the known ones the client asked for, in a fixed order.
fn scope_of(asked: Option<&str>) -> String {
    let asked: Vec<&str> = asked.unwrap_or_default().split_whitespace().collect();
    SCOPES
        .iter()
        .filter(|s| asked.contains(s))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// base64url of a SHA-256 digest: 43 characters.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a code stands for, kept in Redis under the code's hash until used or expired. Every
/// token issued from it names its id, so revoking the grant revokes them all.
#[derive(Clone, Serialize, Deserialize)]
struct Grant {
    #[serde(skip)]
    id: String,
    request: Authorized,
    user_id: Uuid,
    method: Method,
    auth_time: i64,
}

/// Issues a code for the customer logged in on the hosted page with `session`, bound to the
/// checked request; returns the code.
pub(crate) async fn issue_code(
    state: &AppState,
    request: &Authorized,
    session: &LoginSession,
) -> Result<String> {
    let grant = Grant {
        id: random_token(16),
        request: request.clone(),
        user_id: session.user_id,
        method: session.method,
        auth_time: session.auth_time,
    };
    let code = random_token(32);
    let json = serde_json::to_string(&grant).map_err(|e| Error::Internal(e.into()))?;
    state
        .redis
        .store_auth_code(&code_hash(state, &code), &grant.id, &json, CODE_TTL)
        .await?;
    crate::meters::oidc("code_issued");
    Ok(code)
}

fn code_hash(state: &AppState, code: &str) -> String {
    state.hasher.secret("authorization code", code)
}

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
async fn authenticate(
    state: &AppState,
    credentials: &ClientCredentials,
) -> Result<Result<Client, TokenRefused>> {
    let client_id = credentials.client_id.as_deref().unwrap_or_default();
    let Some(client) = clients::find(state, client_id).await? else {
        return Ok(Err(refused("invalid_client", "unknown client")));
    };
    match (client.confidential, credentials.client_secret.as_deref()) {
        (true, Some(secret)) if clients::authenticates(state, &client, secret) => Ok(Ok(client)),
        (true, _) => Ok(Err(refused(
            "invalid_client",
            "the client secret is wrong or missing",
        ))),
        (false, Some(_)) => Ok(Err(refused(
            "invalid_client",
            "a public client has no secret",
        ))),
        (false, None) => Ok(Ok(client)),
    }
}

/// Revokes a token the client holds (RFC 7009): every token issued from the same code stops
/// working at once, on every replica. A token that is not otpgram's, or not this client's,
/// changes nothing and is answered the same way (RFC 7009 2.2).
pub(crate) async fn revoke(
    state: &AppState,
    credentials: &ClientCredentials,
    token: &str,
) -> Result<Result<(), TokenRefused>> {
    let client = match authenticate(state, credentials).await? {
        Ok(client) => client,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let grant = match refresh::grant_of(token) {
        Some(grant) => refresh::revoke(state, &client, grant)
            .await?
            .then(|| grant.to_string()),
        None => tokens::grant_of(state, token, &client.id).await?,
    };
    if let Some(grant) = grant {
        state
            .redis
            .revoke_grant(&grant, refresh::REFRESH_TTL)
            .await?;
        crate::meters::oidc("token_revoked");
    }
    Ok(Ok(()))
}

/// A token request refused, with the error RFC 6749 5.2 names.
#[derive(Debug)]
pub(crate) struct TokenRefused {
    pub error: &'static str,
    pub message: String,
}

fn refused(error: &'static str, message: &str) -> TokenRefused {
    TokenRefused {
        error,
        message: message.to_string(),
    }
}

/// Trades a code (or, for a client granted `offline_access`, a refresh token) for tokens.
pub(crate) async fn exchange(
    state: &AppState,
    request: TokenRequest,
) -> Result<Result<Issued, TokenRefused>> {
    let grant_type = request.grant_type.as_deref().unwrap_or_default();
    if !matches!(grant_type, "authorization_code" | "refresh_token") {
        return Ok(Err(refused(
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        )));
    }
    // The client first: a wrong secret learns nothing about the code.
    let client = match authenticate(state, &request.client).await? {
        Ok(client) => client,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if grant_type == "refresh_token" {
        let Some(token) = request.refresh_token.as_deref().filter(|t| !t.is_empty()) else {
            return Ok(Err(refused("invalid_request", "refresh_token is missing")));
        };
        return match refresh::trade(state, &client, token).await? {
            Ok((grant, next)) => finish(state, grant, Some(next)).await,
            Err(refusal) => Ok(Err(refusal)),
        };
    }
    let Some(code) = request.code.as_deref().filter(|c| !c.is_empty()) else {
        return Ok(Err(refused("invalid_request", "code is missing")));
    };
    // Taken at once: a code works once, whatever happens next; a second try revokes what the
    // first one got (whoever presents it again has it from somewhere).
    let (grant_id, grant) = match state
        .redis
        .redeem_auth_code(&code_hash(state, code), tokens::TOKEN_TTL)
        .await?
    {
        Redeemed::Taken(grant_id, grant) => (grant_id, grant),
        Redeemed::Replayed(grant_id) => {
            state
                .redis
                .revoke_grant(&grant_id, refresh::REFRESH_TTL)
                .await?;
            tracing::warn!("an authorization code was presented again: its tokens are revoked");
            crate::meters::oidc("code_replayed");
            return Ok(Err(refused(
                "invalid_grant",
                "the code is wrong, expired or already used",
            )));
        }
        Redeemed::Missing => {
            crate::meters::oidc("code_refused");
            return Ok(Err(refused(
                "invalid_grant",
                "the code is wrong, expired or already used",
            )));
        }
    };
    let mut grant: Grant = serde_json::from_str(&grant).map_err(|e| Error::Internal(e.into()))?;
    grant.id = grant_id;
    if grant.request.client_id != client.id {
        return Ok(Err(refused(
            "invalid_grant",
            "the code was issued to another client",
        )));
    }
    if request.redirect_uri.as_deref() != Some(grant.request.redirect_uri.as_str()) {
        return Ok(Err(refused(
            "invalid_grant",
            "redirect_uri differs from the authorization request's",
        )));
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
        return Ok(Err(refused(
            "invalid_grant",
            "code_verifier does not match the code_challenge",
        )));
    }
    let refresh_token = match grant
        .request
        .scope
        .split_whitespace()
        .any(|s| s == "offline_access")
    {
        true => Some(refresh::issue(state, &grant).await?),
        false => None,
    };
    finish(state, grant, refresh_token).await
}

/// The tokens for a grant, with its refresh token when `offline_access` was granted.
async fn finish(
    state: &AppState,
    grant: Grant,
    refresh_token: Option<String>,
) -> Result<Result<Issued, TokenRefused>> {
    let Some(user) = users::find_by_id(&state.db, grant.user_id).await? else {
        return Ok(Err(refused("invalid_grant", "the customer is gone")));
    };
    let mut issued = tokens::issue(state, &grant, &user).await?;
    issued.refresh_token = refresh_token;
    crate::meters::oidc("tokens_issued");
    Ok(Ok(issued))
}

/// The claims behind an access token otpgram issued.
pub(crate) async fn userinfo(state: &AppState, access_token: &str) -> Result<UserClaims> {
    let subject = tokens::check_access(state, access_token).await?;
    let user = users::find_by_id(&state.db, subject.user_id)
        .await?
        .ok_or(Error::Unauthorized)?;
    Ok(tokens::user_claims(state, &user, &subject.scope))
}

/// The issuer (`iss`), when OpenID Connect is on.
pub(crate) fn issuer(state: &AppState) -> Result<&str> {
    state.oidc.issuer.as_deref().ok_or(Error::OidcDisabled)
}
