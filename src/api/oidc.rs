//! OpenID Connect endpoints (see [`crate::core::oidc`]): discovery, the keys, the token
//! endpoint and `userinfo` (registering clients: `clients.rs`). The authorization endpoint is
//! the hosted login page (`crate::pages`). The OAuth endpoints answer errors in the shape
//! RFC 6749 names: `{"error": "invalid_grant", "error_description": "..."}`.

use axum::{
    Form,
    extract::{State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ErrorBody},
    extract::bearer,
};
use crate::{
    core::oidc::{self, ClientCredentials, SCOPES, TokenRequest},
    error::Error,
    state::AppState,
};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(discovery))
        .routes(routes!(jwks))
        .routes(routes!(token))
        .routes(routes!(userinfo))
        .routes(routes!(revoke_token))
}

/// OpenID Connect discovery
///
/// What a relying party needs to know about otpgram as a provider (OpenID Connect Discovery
/// 1.0). `404 oidc_disabled` when `OIDC_ISSUER` is not set in production.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "openid",
    responses(
        (status = 200, description = "The provider's metadata.", body = Object),
        (status = 404, description = "`oidc_disabled`", body = ErrorBody),
    )
)]
async fn discovery(State(state): State<AppState>) -> Result<Response, ApiError> {
    let issuer = oidc::issuer(&state.oidc)?;
    // Every field says what otpgram does: an omitted one has a default clients act on (RFC
    // 8414, RFC 9207), e.g. `request_uri_parameter_supported` omitted means true.
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/login"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "userinfo_endpoint": format!("{issuer}/oauth/userinfo"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "web_message"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": SCOPES,
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "at_hash",
            "phone_number", "phone_number_verified", "telegram_id", "name",
            "preferred_username", "locale",
        ],
        "ui_locales_supported": ["uz", "ru", "en"],
        "authorization_response_iss_parameter_supported": true,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "require_request_uri_registration": false,
    });
    Ok(cached(axum::Json(document)))
}

/// The signing keys
///
/// The public keys ID tokens and access tokens are signed with (RS256), the current one and
/// those retired recently.
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "openid",
    responses(
        (status = 200, description = "A JWK set.", body = Object),
        (status = 404, description = "`oidc_disabled`", body = ErrorBody),
    )
)]
async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    oidc::issuer(&state.oidc)?;
    let keys = oidc::keys::in_use(&state.oidc).await?;
    Ok(cached(axum::Json(keys.jwks.clone())))
}

/// Kept by clients and caches for five minutes: a rotated key shows up soon, and stays
/// published far longer than that.
fn cached(body: impl IntoResponse) -> Response {
    ([(header::CACHE_CONTROL, "public, max-age=300")], body).into_response()
}

/// A token request (RFC 6749 4.1.3), form-encoded.
#[derive(Deserialize, ToSchema)]
pub(super) struct TokenForm {
    #[schema(example = "authorization_code")]
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    /// PKCE (RFC 7636): the secret whose S256 hash was the `code_challenge`.
    code_verifier: Option<String>,
    /// `grant_type=refresh_token`: the refresh token from an earlier answer.
    refresh_token: Option<String>,
    /// With `client_secret_post` or a public client (without a secret).
    client_id: Option<String>,
    /// `client_secret_post`; `client_secret_basic` sends it in `Authorization: Basic`.
    client_secret: Option<String>,
}

/// Tokens for a code.
#[derive(Serialize, ToSchema)]
pub(super) struct TokenAnswer {
    /// For `userinfo` (an RS256 JWT).
    access_token: String,
    #[schema(example = "Bearer")]
    token_type: &'static str,
    expires_in: u64,
    /// The ID token: who logged in (RS256, `kid` in the header).
    id_token: String,
    #[schema(example = "openid phone")]
    scope: String,
    /// With `offline_access`: trade it at this endpoint (`grant_type=refresh_token`) for new
    /// tokens and the next refresh token; each works once.
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
}

/// An OAuth error (RFC 6749 5.2).
#[derive(Serialize, ToSchema)]
pub(super) struct OAuthError {
    #[schema(example = "invalid_grant")]
    error: String,
    error_description: String,
}

/// Trade a code for tokens
///
/// The token endpoint (authorization code grant; refresh token grant with `offline_access`). A
/// confidential client authenticates with
/// `client_secret_basic` or `client_secret_post`; a public client sends its `client_id` and the
/// PKCE `code_verifier`. A code works once, within 60 s, for the client and redirect URI it was
/// issued for.
#[utoipa::path(
    post,
    path = "/oauth/token",
    tag = "openid",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Tokens.", body = TokenAnswer),
        (status = 400, description = "`invalid_request`, `invalid_grant` (the code is wrong, expired, \
            used, another client's, or the redirect URI or PKCE verifier does not match), \
            `unsupported_grant_type`.", body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown client or wrong secret.", body = OAuthError),
        (status = 404, description = "`oidc_disabled`", body = ErrorBody),
    )
)]
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Result<Response, ApiError> {
    oidc::issuer(&state.oidc)?;
    let form = match form {
        Ok(Form(form)) => form,
        Err(err) => return unreadable_form(&err),
    };
    let client = match credentials(&headers, form.client_id, form.client_secret) {
        Ok(client) => client,
        Err(refused) => return oauth_answer(refused),
    };
    let request = TokenRequest {
        grant_type: form.grant_type,
        code: form.code,
        redirect_uri: form.redirect_uri,
        code_verifier: form.code_verifier,
        refresh_token: form.refresh_token,
        client,
    };
    match oidc::exchange(&state.oidc, request).await {
        Ok(issued) => Ok((
            [
                (header::CACHE_CONTROL, "no-store"),
                (header::PRAGMA, "no-cache"),
            ],
            axum::Json(TokenAnswer {
                access_token: issued.access_token,
                token_type: "Bearer",
                expires_in: issued.expires_in,
                id_token: issued.id_token,
                scope: issued.scope,
                refresh_token: issued.refresh_token,
            }),
        )
            .into_response()),
        Err(err) => oauth_answer(err),
    }
}

/// A form that could not be read, as OAuth answers it.
fn unreadable_form(err: &FormRejection) -> Result<Response, ApiError> {
    oauth_answer(oidc::OAuthError::refused(
        "invalid_request",
        &err.body_text(),
    ))
}

/// The client's credentials from the form and the `Authorization: Basic` header; both at once
/// must name the same client.
fn credentials(
    headers: &HeaderMap,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<ClientCredentials, oidc::OAuthError> {
    let Some((id, secret)) = basic_credentials(headers) else {
        return Ok(ClientCredentials {
            client_id,
            client_secret,
        });
    };
    if client_id.as_deref().is_some_and(|given| given != id) {
        return Err(oidc::OAuthError::refused(
            "invalid_request",
            "client_id differs from the Authorization header's",
        ));
    }
    Ok(ClientCredentials {
        client_id: Some(id),
        client_secret: Some(secret),
    })
}

/// `Authorization: Basic base64(client_id:client_secret)`, each part form-encoded (RFC 6749
/// 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// A refusal as RFC 6749 5.2 answers it (`401` with a challenge for `invalid_client`); a
/// failure of otpgram's own as every endpoint answers it.
fn oauth_answer(err: oidc::OAuthError) -> Result<Response, ApiError> {
    let (code, description) = match err {
        oidc::OAuthError::Refused {
            code, description, ..
        } => (code, description),
        oidc::OAuthError::Failed(err) => return Err(err.into()),
    };
    let status = if code == "invalid_client" {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(OAuthError {
            error: code.to_string(),
            error_description: description,
        }),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"otpgram\""),
        );
    }
    Ok(response)
}

/// A revocation request (RFC 7009), form-encoded.
#[derive(Deserialize, ToSchema)]
pub(super) struct RevokeForm {
    /// An access or refresh token otpgram issued to this client.
    token: Option<String>,
    /// `access_token` or `refresh_token`; otpgram tells them apart itself.
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Revoke a token
///
/// The revocation endpoint (RFC 7009). The client authenticates as at the token endpoint;
/// revoking an access token revokes every token issued from the same code, at once. A token that
/// is unknown, expired or another client's is answered `200` too, and changes nothing.
#[utoipa::path(
    post,
    path = "/oauth/revoke",
    tag = "openid",
    request_body(content = RevokeForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Revoked (or nothing to revoke)."),
        (status = 400, description = "`invalid_request`: no token.", body = OAuthError),
        (status = 401, description = "`invalid_client`: unknown client or wrong secret.", body = OAuthError),
        (status = 404, description = "`oidc_disabled`", body = ErrorBody),
    )
)]
async fn revoke_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<RevokeForm>, FormRejection>,
) -> Result<Response, ApiError> {
    oidc::issuer(&state.oidc)?;
    let form = match form {
        Ok(Form(form)) => form,
        Err(err) => return unreadable_form(&err),
    };
    let _ = form.token_type_hint;
    let client = match credentials(&headers, form.client_id, form.client_secret) {
        Ok(client) => client,
        Err(refused) => return oauth_answer(refused),
    };
    let Some(token) = form.token.filter(|t| !t.is_empty()) else {
        return oauth_answer(oidc::OAuthError::refused(
            "invalid_request",
            "token is missing",
        ));
    };
    match oidc::revoke(&state.oidc, &client, &token).await {
        Ok(()) => Ok(([(header::CACHE_CONTROL, "no-store")], StatusCode::OK).into_response()),
        Err(err) => oauth_answer(err),
    }
}

/// Who the access token's customer is
///
/// The claims of the ID token about the customer, for an access token from `/oauth/token`.
#[utoipa::path(
    get,
    path = "/oauth/userinfo",
    tag = "openid",
    security(("oidc_access_token" = [])),
    responses(
        (status = 200, description = "The customer's claims.", body = Object),
        (status = 401, description = "`invalid_token`: missing, expired or not otpgram's.", body = OAuthError,
            headers(("WWW-Authenticate" = String, description = "`Bearer error=\"invalid_token\"`"))),
        (status = 404, description = "`oidc_disabled`", body = ErrorBody),
    )
)]
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    oidc::issuer(&state.oidc)?;
    let claims = match bearer(&headers) {
        Some(token) => oidc::userinfo(&state.oidc, &token).await,
        None => Err(Error::Unauthorized),
    };
    match claims {
        Ok(claims) => Ok(axum::Json(claims).into_response()),
        Err(Error::Unauthorized) => {
            let mut response = (
                StatusCode::UNAUTHORIZED,
                axum::Json(OAuthError {
                    error: "invalid_token".into(),
                    error_description: "the access token is missing, expired or not otpgram's"
                        .into(),
                }),
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            Ok(response)
        }
        Err(err) => Err(err.into()),
    }
}
