//! otpgram as an OpenID Connect provider, driven by a real, unmodified relying party library
//! (the `openidconnect` crate): discovery, the authorization code flow with PKCE through the
//! hosted page's own calls, the ID token checked against the published keys (signature,
//! issuer, audience, expiry, nonce, `at_hash`), `userinfo`; and the error paths the specs name.

use fred::prelude::KeysInterface;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
    core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims},
    reqwest,
};
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use url::Url;

use crate::helpers::{SERVICE_KEY, TestApp, spawn_app};

pub const ANN: i64 = 4001;
pub const ANN_PHONE: &str = "+998901234400";
pub const CALLBACK: &str = "https://bozor.example/auth/callback";

/// Registers a client; returns its id and secret.
pub async fn register(app: &TestApp, kind: &str, redirect: &str) -> (String, Option<String>) {
    let response = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(SERVICE_KEY)
        .json(&json!({ "name": "Bozor.uz", "redirect_uris": [redirect], "type": kind }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], kind);
    (
        body["client_id"].as_str().unwrap().to_string(),
        body["client_secret"].as_str().map(str::to_string),
    )
}

pub fn relying_party_http() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        // As the library asks: a token endpoint that redirects is not followed.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// What the hosted page does once the customer is signed in: the authorization request, with
/// the login session's cookie, to `/login/authorize`; returns where the page would go.
pub async fn finish_as_the_page(app: &TestApp, auth_url: &Url, signed_in: &str) -> Url {
    let response = authorize_as_the_page(app, auth_url, signed_in).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    Url::parse(body["redirect_to"].as_str().unwrap()).unwrap()
}

/// An authorization request's parameters as the hosted page sends them on (a JSON object).
pub fn request_of(url: &Url) -> serde_json::Map<String, Value> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect()
}

/// `POST /login/authorize` with the request in `auth_url` and the login session `signed_in`.
pub async fn authorize_as_the_page(
    app: &TestApp,
    auth_url: &Url,
    signed_in: &str,
) -> reqwest::Response {
    let request = request_of(auth_url);
    app.http
        .post(app.url("/login/authorize"))
        .header("cookie", format!("{LOGIN_COOKIE}={signed_in}"))
        .json(&request)
        .send()
        .await
        .unwrap()
}

/// The hosted page's login session cookie.
pub const LOGIN_COOKIE: &str = "otpgram_login";

/// The value `name` is set to by `response`'s `Set-Cookie`, if any.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (key, value) = pair.split_once('=')?;
            (key.trim() == name).then(|| value.trim().to_string())
        })
}

pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A customer signs in on the hosted page with a code (as its script does); the login
/// session's cookie.
pub async fn log_in(app: &TestApp) -> String {
    let code = app.linked_code(ANN, ANN_PHONE).await;
    let response = app
        .post_json(
            "/login/verify",
            serde_json::json!({ "phone": ANN_PHONE, "code": code }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response, LOGIN_COOKIE).expect("the login session's cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "signed_in", "{body}");
    cookie
}

#[tokio::test]
async fn a_stock_relying_party_logs_a_customer_in() {
    let app = spawn_app().await;
    let (client_id, secret) = register(&app, "confidential", CALLBACK).await;
    let http = relying_party_http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery validates");
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.clone()),
        secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("phone".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("telegram".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(
        auth_url
            .as_str()
            .starts_with(&format!("{}/login?", app.address))
    );

    // The hosted page opens for it, naming the shop.
    let page = app.http.get(auth_url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Bozor.uz") && html.contains("/login/assets/login.js"),
        "{html}"
    );

    let signed_in = log_in(&app).await;
    let back = finish_as_the_page(&app, &auth_url, &signed_in).await;
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    let code = param(&back, "code").unwrap();

    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the code is traded");
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("signature, iss, aud, exp, nonce");
    let expected = claims.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected);
    let user = app.user_row(ANN_PHONE).await.unwrap();
    assert_eq!(claims.subject().as_str(), user.id.to_string());
    assert_eq!(claims.phone_number().unwrap().as_str(), ANN_PHONE);
    assert_eq!(claims.phone_number_verified(), Some(true));
    assert!(claims.auth_time().is_some());
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|m| m.as_str())
        .collect();
    assert_eq!(amr, ["otp"]);
    // otpgram's own claim, past the library's checks.
    let payload = id_token.to_string().split('.').nth(1).unwrap().to_string();
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(payload["telegram_id"], ANN);
    assert_eq!(payload["name"], "Ann Lee");

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().to_owned(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo answers the access token");
    assert_eq!(info.phone_number().unwrap().as_str(), ANN_PHONE);

    // The code worked once.
    let again = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new("x".repeat(43)))
        .request_async(&http)
        .await
        .unwrap_err();
    assert!(format!("{again:?}").contains("invalid_grant"), "{again:?}");
}

pub async fn code_for(app: &TestApp, url: &Url, signed_in: &str) -> String {
    param(&finish_as_the_page(app, url, signed_in).await, "code").unwrap()
}

/// How a client presents itself at the token endpoint.
#[derive(Clone, Copy)]
pub enum As<'a> {
    /// A public client: its id, no secret.
    Public(&'a str),
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
}

/// Trades `code` at the token endpoint (authorization code grant with a PKCE verifier).
pub async fn trade(
    app: &TestApp,
    code: &str,
    redirect: &str,
    verifier: &str,
    client: As<'_>,
) -> (StatusCode, Value) {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect),
        ("code_verifier", verifier),
    ];
    let basic = match client {
        As::Public(id) => {
            form.push(("client_id", id));
            None
        }
        As::Basic(id, secret) => Some((id, secret)),
        As::Post(id, secret) => {
            form.extend([("client_id", id), ("client_secret", secret)]);
            None
        }
    };
    token(app, &form, basic).await
}

/// A token endpoint answer's status and OAuth error code.
pub fn error_of((status, body): &(StatusCode, Value)) -> (StatusCode, Option<String>) {
    (*status, body["error"].as_str().map(str::to_string))
}

/// The raw token endpoint, as any client library calls it.
pub async fn token(
    app: &TestApp,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value) {
    let mut request = app.http.post(app.url("/oauth/token")).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// An authorization request's URL, as a client would build it.
pub fn auth_url(app: &TestApp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(&app.url("/login")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("scope", "openid phone")
        .append_pair("state", "st-123")
        .append_pair("nonce", "n-456");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    url
}

pub const VERIFIER: &str = "a-verifier-that-is-long-enough-for-pkce-0123456789";

/// An authorization request with PKCE (S256 of [`VERIFIER`]) and `extra`.
pub fn pkce_url(app: &TestApp, client_id: &str, redirect: &str, extra: &[(&str, &str)]) -> Url {
    let challenge = challenge_of(VERIFIER);
    let mut pairs = vec![
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    auth_url(app, client_id, redirect, &pairs)
}

/// `url` with its parameter `name` set to `value`, the others kept as they were.
pub fn with_param(mut url: Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url
}

pub fn challenge_of(verifier: &str) -> String {
    use sha2::Digest;
    base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sha2::Sha256::digest(verifier.as_bytes()),
    )
}

#[tokio::test]
async fn each_error_is_the_one_the_specs_name() {
    let app = spawn_app().await;
    let no_redirects = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (public, _) = register(&app, "public", CALLBACK).await;
    let (confidential, secret) = register(&app, "confidential", CALLBACK).await;
    let secret = secret.unwrap();

    // An unknown client, or a redirect URI the client did not register: said on the page, and
    // the customer is sent nowhere.
    for url in [
        auth_url(&app, "no-such-client", CALLBACK, &[]),
        auth_url(&app, &public, "https://evil.example/cb", &[]),
        auth_url(&app, &public, &format!("{CALLBACK}/"), &[]),
    ] {
        let response = no_redirects.get(url.as_str()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(
            html.contains("invalid_client") || html.contains("invalid_request"),
            "{html}"
        );
    }

    // A public client without PKCE, with a plain challenge, asking for another flow: back to
    // the client with the error and its state.
    let challenge = challenge_of(VERIFIER);
    let s256 = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let plain = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "plain"),
    ];
    let mut implicit = auth_url(&app, &public, CALLBACK, &s256);
    let pairs: Vec<(String, String)> = implicit
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == "response_type" {
                    "token".into()
                } else {
                    v.to_string()
                },
            )
        })
        .collect();
    implicit.query_pairs_mut().clear().extend_pairs(pairs);
    for (url, error) in [
        (auth_url(&app, &public, CALLBACK, &[]), "invalid_request"),
        (auth_url(&app, &public, CALLBACK, &plain), "invalid_request"),
        (implicit, "unsupported_response_type"),
    ] {
        let response = no_redirects.get(url.as_str()).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
        let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        assert!(location.as_str().starts_with(CALLBACK), "{location}");
        assert_eq!(
            param(&location, "error").as_deref(),
            Some(error),
            "{location}"
        );
        assert_eq!(param(&location, "state").as_deref(), Some("st-123"));
    }

    // A good request, answered with a code.
    let signed_in = log_in(&app).await;
    let issue = |client: &str| auth_url(&app, client, CALLBACK, &s256);

    // Wrong verifier, wrong redirect URI, another client's code: invalid_grant (and the code
    // is used up by the attempt).
    let bad_grant = (StatusCode::BAD_REQUEST, Some("invalid_grant".to_string()));
    let code = code_for(&app, &issue(&public), &signed_in).await;
    let wrong_verifier = "wrong-verifier-wrong-verifier-wrong-verifier";
    let answer = trade(&app, &code, CALLBACK, wrong_verifier, As::Public(&public)).await;
    assert_eq!(error_of(&answer), bad_grant, "{answer:?}");
    let code = code_for(&app, &issue(&public), &signed_in).await;
    let other = "https://bozor.example/other";
    let answer = trade(&app, &code, other, VERIFIER, As::Public(&public)).await;
    assert_eq!(error_of(&answer), bad_grant, "{answer:?}");
    let code = code_for(&app, &issue(&public), &signed_in).await;
    let answer = trade(
        &app,
        &code,
        CALLBACK,
        VERIFIER,
        As::Basic(&confidential, &secret),
    )
    .await;
    assert_eq!(error_of(&answer), bad_grant, "{answer:?}");

    // A wrong secret, an unknown client: invalid_client, 401.
    let bad_client = (StatusCode::UNAUTHORIZED, Some("invalid_client".to_string()));
    let code = code_for(&app, &issue(&confidential), &signed_in).await;
    let wrong_secret = As::Basic(&confidential, "not-the-secret");
    let answer = trade(&app, &code, CALLBACK, VERIFIER, wrong_secret).await;
    assert_eq!(error_of(&answer), bad_client, "{answer:?}");
    let answer = trade(&app, &code, CALLBACK, VERIFIER, As::Public("nobody")).await;
    assert_eq!(error_of(&answer), bad_client, "{answer:?}");
    // The code survived the refused clients: the right one trades it once.
    let right = As::Post(&confidential, &secret);
    let (status, body) = trade(&app, &code, CALLBACK, VERIFIER, right).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["id_token"].is_string() && body["access_token"].is_string());
    let answer = trade(
        &app,
        &code,
        CALLBACK,
        VERIFIER,
        As::Basic(&confidential, &secret),
    )
    .await;
    assert_eq!(error_of(&answer), bad_grant, "reused: {answer:?}");

    // An expired code (its Redis key past its TTL) is invalid_grant too.
    let code = code_for(&app, &issue(&public), &signed_in).await;
    let keys: Vec<String> = app
        .redis_dump()
        .await
        .into_iter()
        // Traded codes stay behind as `used:` markers (a replay revokes their tokens).
        .filter(|(key, value)| key.contains("oidc:code:") && !value.starts_with("used:"))
        .map(|(key, _)| key)
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let _: () = app.redis.pexpire(&keys[0], 1, None).await.unwrap();
    crate::helpers::eventually(5, "the code to expire", || async {
        let left: i64 = app.redis.exists(&keys[0]).await.unwrap();
        (left == 0).then_some(())
    })
    .await;
    let answer = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&public)).await;
    assert_eq!(error_of(&answer), bad_grant, "{answer:?}");

    let (status, body) = token(&app, &[("grant_type", "password")], None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );

    // userinfo without a token, or with otpgram's session token (not an OIDC access token).
    let first_party = {
        let (bob, bob_phone) = (4002, "+998901234401");
        let code = app.linked_code(bob, bob_phone).await;
        let session: Value = app.verify(bob_phone, &code).await.json().await.unwrap();
        session["access_token"].as_str().unwrap().to_string()
    };
    for bearer in [None, Some(first_party.as_str())] {
        let mut request = app.http.get(app.url("/oauth/userinfo"));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("invalid_token")
        );
    }
}

/// The client's `state` comes back byte for byte, on a code and on an error, so the client's
/// comparison (its defence against a forged callback) holds even for awkward values; a state the
/// client did not send fails that comparison (the browser test's client makes it).
#[tokio::test]
async fn state_comes_back_exactly_on_a_code_and_on_an_error() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let sent = "a b&c=d/é+%2F?#";
    let with_state = |extra: &[(&str, &str)]| {
        with_param(auth_url(&app, &client_id, CALLBACK, extra), "state", sent)
    };
    let challenge = challenge_of(VERIFIER);
    let signed_in = log_in(&app).await;
    let pkce = [
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let back = finish_as_the_page(&app, &with_state(&pkce), &signed_in).await;
    assert!(param(&back, "code").is_some());
    assert_eq!(param(&back, "state").as_deref(), Some(sent), "{back}");
    // An error (no PKCE for a public client) carries it back too.
    let back = finish_as_the_page(&app, &with_state(&[]), &signed_in).await;
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "state").as_deref(), Some(sent), "{back}");
}

#[tokio::test]
async fn keys_rotate_and_the_previous_one_stays_published() {
    let app = spawn_app().await;
    let jwks = || async {
        let body: Value = app
            .http
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let before = jwks().await;
    assert_eq!(before.len(), 1);
    let rows_before = entity::signing_key::Entity::find()
        .all(app.state.database())
        .await
        .unwrap();
    // Stored sealed: the column is not a private key anyone could read and sign with.
    for row in &rows_before {
        use rsa::pkcs1::DecodeRsaPrivateKey;
        let stored =
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &row.private_key)
                .unwrap();
        assert!(
            rsa::RsaPrivateKey::from_pkcs1_der(&stored).is_err(),
            "a plain key in the database"
        );
        assert!(rsa::RsaPrivateKey::from_pkcs1_der(&stored[12..]).is_err());
    }
    let new = otpgram::ops::rotate_signing_key(&app.state, std::time::Duration::from_secs(3600))
        .await
        .unwrap();
    let after = jwks().await;
    assert_eq!(after.len(), 2, "{after:?}");
    assert!(after.contains(&before[0]) && after.contains(&new));
    let current = otpgram::ops::signing_key_id(&app.state).await.unwrap();
    assert_eq!(current, new, "the new key signs");
}

/// The widget's popup posts the code to its opener with `target_origin` set to the registered
/// redirect URI's origin: a page elsewhere that opens the popup with the shop's client id
/// receives nothing (the browser drops a message for another origin).
#[tokio::test]
async fn the_popup_answer_names_only_the_redirect_uris_origin() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let challenge = challenge_of(VERIFIER);
    let url = auth_url(
        &app,
        &client_id,
        CALLBACK,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("response_mode", "web_message"),
        ],
    );
    let signed_in = log_in(&app).await;
    let answer: Value = authorize_as_the_page(&app, &url, &signed_in)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["web_message"], true, "{answer}");
    assert_eq!(answer["target_origin"], "https://bozor.example");
    assert_eq!(answer["state"], "st-123");
    let code = answer["code"].as_str().unwrap();
    let (status, tokens) = trade(&app, code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
}
