//! Sessions: a pair of HS256 JWTs (short-lived access, long-lived refresh) over a session record
//! in Redis. Refresh tokens rotate; a rotated-out token presented again within a short grace
//! period gets the successor it already has, and after it revokes the whole session. A session
//! ends `SESSION_MAX_AGE_SECONDS` after it began, however often it is refreshed. Access tokens
//! are checked against the session record, so logout and revocation take effect at once; all of
//! a user's sessions end together when their phone changes hands.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    config::AuthConfig,
    core::login_session::LoginSessions,
    crypto::random_token,
    error::{Error, Result},
    store::{RedisStore, Rotation, SessionPolicy},
};

const ISSUER: &str = "otpgram";
const AUDIENCE: &str = "otpgram";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TokenKind {
    Access,
    Refresh,
}

/// How a session's user proved who they are: OpenID Connect's `amr` (RFC 8176's `otp` for a
/// typed code; `telegram` for a confirmation in Telegram).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Otp,
    Telegram,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Otp => "otp",
            Method::Telegram => "telegram",
        }
    }
}

/// How and when a session began, carried by each of its tokens (older tokens lack it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Proof {
    pub method: Method,
    /// When the user logged in (Unix seconds): OpenID Connect's `auth_time`.
    pub at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The session id.
    pub sid: String,
    /// This token's id (refresh tokens are tracked by it).
    pub jti: String,
    pub typ: TokenKind,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
}

/// A freshly issued pair.
#[derive(Debug)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

/// Signing and checking keys with the algorithm pinned to HS256.
#[derive(Clone)]
pub(crate) struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    policy: SessionPolicy,
}

impl Tokens {
    pub(crate) fn new(auth: &AuthConfig) -> Self {
        let secret = auth.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: auth.access_ttl,
            policy: SessionPolicy {
                refresh_ttl: auth.refresh_ttl,
                reuse_grace: auth.refresh_reuse_grace,
                max_age: auth.session_max_age,
            },
        }
    }

    /// Signs a token that expires after its kind's lifetime, or when the session ends
    /// (`ends_at`, Unix seconds), whichever comes first.
    fn sign(
        &self,
        user_id: Uuid,
        session_id: &str,
        token_id: &str,
        typ: TokenKind,
        ends_at: i64,
        proof: Option<Proof>,
    ) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let ttl = match typ {
            TokenKind::Access => self.access_ttl,
            TokenKind::Refresh => self.policy.refresh_ttl,
        };
        let claims = Claims {
            sub: user_id,
            sid: session_id.to_string(),
            jti: token_id.to_string(),
            typ,
            iat: now,
            exp: (now + ttl.as_secs() as i64).min(ends_at),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            proof,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::Internal(e.into()))
    }

    fn pair(
        &self,
        user_id: Uuid,
        session_id: &str,
        refresh_id: &str,
        ends_at: i64,
        proof: Option<Proof>,
    ) -> Result<TokenPair> {
        let left = Duration::from_secs(
            u64::try_from(ends_at - chrono::Utc::now().timestamp()).unwrap_or(0),
        );
        Ok(TokenPair {
            access_token: self.sign(
                user_id,
                session_id,
                &random_token(16),
                TokenKind::Access,
                ends_at,
                proof,
            )?,
            refresh_token: self.sign(
                user_id,
                session_id,
                refresh_id,
                TokenKind::Refresh,
                ends_at,
                proof,
            )?,
            access_ttl: self.access_ttl.min(left),
            refresh_ttl: self.policy.refresh_ttl.min(left),
        })
    }

    /// Checks signature, algorithm, issuer, audience, expiry and kind.
    pub(crate) fn decode(&self, token: &str, kind: TokenKind) -> Result<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::Unauthorized)?
            .claims;
        if claims.typ != kind {
            return Err(Error::Unauthorized);
        }
        Ok(claims)
    }
}

/// The shop sites' sessions: JWT pairs signed with the service secret, their state in Redis
/// (rotation, reuse detection, revocation). Owns its handles: the keys and policy, Redis, and
/// the login sessions that end with them when a phone changes hands.
#[derive(Clone)]
pub(crate) struct Sessions {
    tokens: Tokens,
    redis: RedisStore,
    login_sessions: LoginSessions,
}

impl Sessions {
    pub(crate) fn new(tokens: Tokens, redis: RedisStore, login_sessions: LoginSessions) -> Self {
        Self {
            tokens,
            redis,
            login_sessions,
        }
    }

    /// The token keys, to read a token's claims without asking Redis (logout, which ends what
    /// the token names whether or not it still works).
    pub(crate) fn tokens(&self) -> &Tokens {
        &self.tokens
    }

    /// Opens a new session for `user_id`, who just proved who they are by `method`.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn start(&self, user_id: Uuid, method: Method) -> Result<TokenPair> {
        let session_id = random_token(22);
        let refresh_id = random_token(22);
        let policy = &self.tokens.policy;
        let now = chrono::Utc::now().timestamp();
        let ends_at = now + policy.max_age.as_secs() as i64;
        let proof = Proof { method, at: now };
        let pair = self
            .tokens
            .pair(user_id, &session_id, &refresh_id, ends_at, Some(proof))?;
        self.redis
            .start_session(
                &user_id.to_string(),
                &session_id,
                &refresh_id,
                policy.refresh_ttl,
                policy.max_age,
            )
            .await?;
        Ok(pair)
    }

    /// Trades a refresh token for a new pair.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn refresh(&self, refresh_token: &str) -> Result<(Uuid, TokenPair)> {
        let claims = self.tokens.decode(refresh_token, TokenKind::Refresh)?;
        match self
            .redis
            .rotate_session(
                &claims.sub.to_string(),
                &claims.sid,
                &claims.jti,
                &random_token(22),
                &self.tokens.policy,
            )
            .await?
        {
            Rotation::Rotated { token_id, ends_at } => {
                let pair =
                    self.tokens
                        .pair(claims.sub, &claims.sid, &token_id, ends_at, claims.proof)?;
                Ok((claims.sub, pair))
            }
            Rotation::Reused => {
                tracing::warn!(user_id = %claims.sub, "refresh token reused; session revoked");
                Err(Error::TokenReused)
            }
            Rotation::Revoked => Err(Error::Unauthorized),
        }
    }

    /// Checks an access token and that its session is still open.
    pub(crate) async fn authenticate(&self, access_token: &str) -> Result<Claims> {
        let claims = self.tokens.decode(access_token, TokenKind::Access)?;
        if !self
            .redis
            .session_exists(&claims.sub.to_string(), &claims.sid)
            .await?
        {
            return Err(Error::Unauthorized);
        }
        Ok(claims)
    }

    /// Ends a session: both of its tokens stop working at once.
    pub(crate) async fn revoke(&self, claims: &Claims) -> Result<()> {
        self.redis
            .end_session(&claims.sub.to_string(), &claims.sid)
            .await
    }

    /// Ends every session of a user at once (their phone changed hands), the hosted page's
    /// login sessions too.
    pub(crate) async fn revoke_all(&self, user_id: Uuid) -> Result<()> {
        self.redis.end_user_sessions(&user_id.to_string()).await?;
        self.login_sessions.end_all(user_id).await
    }
}
