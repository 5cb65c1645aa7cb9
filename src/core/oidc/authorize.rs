//! The authorization endpoint's half: checking a request (client, exact redirect URI, PKCE,
//! prompt, max_age) and issuing a code bound to it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CODE_TTL, MAX_PARAMETER, OAuthError, Oidc, SCOPES, clients, issuer};
use crate::{
    core::{login_session::LoginSession, session::Method},
    crypto::random_token,
    error::{Error, Result},
};

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

/// Checks an authorization request (OpenID Connect Core 3.1.2.1, RFC 7636).
pub(crate) async fn authorize(
    oidc: &Oidc,
    request: &AuthRequest,
) -> Result<Authorized, OAuthError> {
    issuer(oidc)?;
    let here = OAuthError::refused;
    let client_id = request.client_id.as_deref().unwrap_or_default();
    let client = clients::find(oidc, client_id).await?.ok_or_else(|| {
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
    let back = |code, description: &str| OAuthError::back(&authorized, code, description);
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
pub(super) struct Grant {
    #[serde(skip)]
    pub(super) id: String,
    pub(super) request: Authorized,
    pub(super) user_id: Uuid,
    pub(super) method: Method,
    pub(super) auth_time: i64,
}

/// Issues a code for the customer logged in on the hosted page with `session`, bound to the
/// checked request; returns the code.
pub(crate) async fn issue_code(
    oidc: &Oidc,
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
    oidc.redis
        .store_auth_code(&code_hash(oidc, &code), &grant.id, &json, CODE_TTL)
        .await?;
    crate::meters::oidc("code_issued");
    Ok(code)
}

pub(super) fn code_hash(oidc: &Oidc, code: &str) -> String {
    oidc.hasher.secret("authorization code", code)
}
