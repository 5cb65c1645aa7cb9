//! The security review of the OpenID Connect provider (issue 24, item 8 and the standards it
//! names): each finding performed as the attack it describes, against a running otpgram.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use crate::{
    helpers::{spawn_app, spawn_app_with},
    oidc::{
        ANN, ANN_PHONE, As, CALLBACK, LOGIN_COOKIE, VERIFIER, auth_url, challenge_of, code_for,
        error_of, log_in, param, pkce_url, register, request_of, trade, with_param,
    },
};

/// The payload of a JWT, unverified (the other tests check signatures).
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap(),
    )
    .unwrap()
}

fn no_redirects() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Where `GET url` sends the browser (a `303` to the client), as a URL.
async fn sent_back(url: &Url) -> Url {
    let response = no_redirects().get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{url}");
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

#[tokio::test]
async fn discovery_states_what_otpgram_does_and_nothing_it_does_not() {
    let app = spawn_app().await;
    let document: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Omitted, these mean "no iss in the callback" (RFC 9207) and "request_uri works" (OIDC
    // Discovery 3): both would be untrue.
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    for unsupported in [
        "request_uri_parameter_supported",
        "request_parameter_supported",
        "claims_parameter_supported",
    ] {
        assert_eq!(document[unsupported], false, "{unsupported}");
    }
    assert_eq!(document["code_challenge_methods_supported"][0], "S256");
    let scopes = document["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&Value::from("telegram")), "{scopes:?}");
}

/// RFC 9700 2.1.1: a code issued without PKCE could be traded by whoever took it from the
/// redirect, and one issued without a challenge must not be traded on a made-up verifier. The
/// review got a confidential client's code without `code_challenge` and traded it with
/// `code_verifier=anything`.
#[tokio::test]
async fn no_client_gets_a_code_without_pkce() {
    let app = spawn_app().await;
    let (client_id, secret) = register(&app, "confidential", CALLBACK).await;
    let secret = secret.unwrap();
    let signed_in = log_in(&app).await;

    let without_pkce = auth_url(&app, &client_id, CALLBACK, &[]);
    let back = sent_back(&without_pkce).await;
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert!(param(&back, "code").is_none());
    // Nor through the page's own call.
    let back = crate::oidc::finish_as_the_page(&app, &without_pkce, &signed_in).await;
    assert_eq!(param(&back, "code"), None, "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));

    // With PKCE, the verifier is needed: a made-up one trades nothing.
    let url = pkce_url(&app, &client_id, CALLBACK, &[]);
    let code = code_for(&app, &url, &signed_in).await;
    let made_up = "made-up-verifier-made-up-verifier-made-up-0000";
    let answer = trade(
        &app,
        &code,
        CALLBACK,
        made_up,
        As::Basic(&client_id, &secret),
    )
    .await;
    assert_eq!(
        error_of(&answer),
        (StatusCode::BAD_REQUEST, Some("invalid_grant".into()))
    );
}

/// OpenID Connect Core 5.4: the phone belongs to the `phone` scope. The review saw
/// `phone_number` in an ID token asked for with `scope=openid` alone.
#[tokio::test]
async fn each_claim_comes_only_with_its_scope() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let tokens_for = |scope: &'static str| {
        let (app, client_id, signed_in) = (&app, &client_id, &signed_in);
        async move {
            let url = with_param(pkce_url(app, client_id, CALLBACK, &[]), "scope", scope);
            let code = code_for(app, &url, signed_in).await;
            let (status, tokens) =
                trade(app, &code, CALLBACK, VERIFIER, As::Public(client_id)).await;
            assert_eq!(status, StatusCode::OK, "{tokens}");
            let info: Value = app
                .http
                .get(app.url("/oauth/userinfo"))
                .bearer_auth(tokens["access_token"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            (payload(tokens["id_token"].as_str().unwrap()), info)
        }
    };

    let (id, info) = tokens_for("openid").await;
    for claims in [&id, &info] {
        for absent in [
            "phone_number",
            "phone_number_verified",
            "telegram_id",
            "name",
        ] {
            assert!(claims.get(absent).is_none(), "{absent} in {claims}");
        }
        assert!(claims["sub"].is_string());
    }
    assert!(id["auth_time"].is_i64() && id["amr"].is_array(), "{id}");

    let (id, info) = tokens_for("openid phone telegram").await;
    for claims in [&id, &info] {
        assert_eq!(claims["phone_number"], ANN_PHONE, "{claims}");
        assert_eq!(claims["phone_number_verified"], true);
        assert_eq!(claims["telegram_id"], ANN);
        assert!(claims.get("name").is_none(), "{claims}");
    }
    assert_eq!(id["sub"], info["sub"]);
}

/// The review parked 14 kB of `state` + `nonce` with each of 400 codes. Past 512 bytes, either
/// is refused (and a state that long is not echoed back).
#[tokio::test]
async fn state_and_nonce_are_capped() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let long = "s".repeat(513);
    for name in ["state", "nonce"] {
        let url = with_param(pkce_url(&app, &client_id, CALLBACK, &[]), name, &long);
        let back = sent_back(&url).await;
        assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
        assert!(back.as_str().len() < 600, "{back}");
    }
}

/// Codes come only from a sign-in the hosted page itself completed (its login session), and
/// only when otpgram's own page asks. The review minted ID tokens for a public client with any
/// first-party access token, and got codes with the cookie from an allowed CORS origin (another
/// site of the same site).
#[tokio::test]
async fn codes_come_only_from_the_pages_own_sign_in() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://bozor.example")]).await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let challenge = challenge_of(VERIFIER);
    let url = auth_url(
        &app,
        &client_id,
        CALLBACK,
        &[
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let request = request_of(&url);
    let authorize = |origin: Option<&'static str>, bearer: Option<String>, cookie: String| {
        let (app, request) = (&app, &request);
        async move {
            let mut call = app
                .http
                .post(app.url("/login/authorize"))
                .header("cookie", cookie)
                .json(request);
            if let Some(origin) = origin {
                call = call.header("origin", origin);
            }
            if let Some(token) = bearer {
                call = call.bearer_auth(token);
            }
            let response = call.send().await.unwrap();
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };

    // A session of the API (what a shop's own login made): no code, as a header or a cookie.
    let (bob, bob_phone) = (4002, "+998901234401");
    let code = app.linked_code(bob, bob_phone).await;
    let session: Value = app.verify(bob_phone, &code).await.json().await.unwrap();
    let first_party = session["access_token"].as_str().unwrap().to_string();
    let (status, body) = authorize(None, Some(first_party.clone()), String::new()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "login_required");
    let (status, body) = authorize(None, None, format!("access_token={first_party}")).await;
    assert_eq!(
        (status, &body["error"]),
        (StatusCode::UNAUTHORIZED, &"login_required".into())
    );

    // The page's own login session, sent by a shop's page: refused before anything is issued.
    let signed_in = log_in(&app).await;
    let cookie = format!("{LOGIN_COOKIE}={signed_in}");
    let (status, body) = authorize(Some("https://bozor.example"), None, cookie.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.get("redirect_to").is_none(), "{body}");

    // From otpgram's own page it works.
    let own: &'static str = Box::leak(app.address.clone().into_boxed_str());
    let (status, body) = authorize(Some(own), None, cookie).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["redirect_to"].as_str().unwrap().contains("code="));
}

/// `nosniff` and no framing on every answer, the API's JSON included; HSTS where configured
/// (production sets a year by default).
#[tokio::test]
async fn every_answer_forbids_sniffing_and_framing() {
    let app = spawn_app_with(&[("HSTS_MAX_AGE_SECONDS", "600")]).await;
    for (method, path) in [
        (reqwest::Method::GET, "/healthz"),
        (reqwest::Method::POST, "/api/v1/otp/verify"),
        (reqwest::Method::GET, "/login"),
        (reqwest::Method::GET, "/no/such/page"),
        (reqwest::Method::GET, "/.well-known/openid-configuration"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(
            headers["strict-transport-security"], "max-age=600",
            "{path}"
        );
    }
    let plain = spawn_app().await;
    let response = plain.http.get(plain.url("/healthz")).send().await.unwrap();
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

/// A stranger posting to the webhook without the secret is answered before its body is read:
/// the review held otpgram reading a megabyte that never came.
#[tokio::test]
async fn the_webhook_refuses_a_wrong_secret_before_reading_the_body() {
    let app = spawn_app_with(&[
        ("TELEGRAM_MODE", "webhook"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://otp.shop.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1"),
    ])
    .await;
    let address = app.address.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    // A body announced at 1,000,000 bytes, of which none is sent.
    let head = format!(
        "POST /telegram/webhook HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         x-telegram-bot-api-secret-token: wrong\r\ncontent-length: 1000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
}

/// An access token's answer at `userinfo`.
async fn userinfo_status(app: &crate::helpers::TestApp, access_token: &str) -> StatusCode {
    app.http
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .status()
}

/// RFC 6749 4.1.2: a code presented twice means someone else has it; the tokens the first
/// trade got are revoked, on every replica at once. The review's access token kept working.
#[tokio::test]
async fn a_replayed_code_revokes_the_tokens_it_gave() {
    let env = crate::helpers::TestEnv::new().await;
    let issuer = [("OIDC_ISSUER", "https://auth.bozor.example")];
    let app = crate::helpers::spawn_app_in(env.clone(), &issuer).await;
    let other_replica = crate::helpers::spawn_app_in(env, &issuer).await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client_id, CALLBACK, &[]);
    let code = code_for(&app, &url, &signed_in).await;
    let (status, tokens) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let issued = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&other_replica, issued).await,
        StatusCode::OK
    );

    let again = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert_eq!(
        error_of(&again),
        (StatusCode::BAD_REQUEST, Some("invalid_grant".into()))
    );
    for replica in [&app, &other_replica] {
        assert_eq!(
            userinfo_status(replica, issued).await,
            StatusCode::UNAUTHORIZED
        );
    }

    // Another grant of the same customer is untouched.
    let code = code_for(&app, &url, &signed_in).await;
    let (_, tokens) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    let fresh = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&other_replica, fresh).await, StatusCode::OK);
}

/// RFC 7009: the client revokes its access token; userinfo refuses it at once. Only the
/// client it was issued to can, and an unknown token is answered the same way.
#[tokio::test]
async fn a_client_revokes_its_token() {
    let app = spawn_app().await;
    let (client_id, secret) = register(&app, "confidential", CALLBACK).await;
    let secret = secret.unwrap();
    let (stranger, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client_id, CALLBACK, &[]);
    let code = code_for(&app, &url, &signed_in).await;
    let (_, tokens) = trade(
        &app,
        &code,
        CALLBACK,
        VERIFIER,
        As::Basic(&client_id, &secret),
    )
    .await;
    let issued = tokens["access_token"].as_str().unwrap().to_string();
    let revoke = |form: Vec<(&'static str, String)>, basic: Option<(String, String)>| {
        let app = &app;
        async move {
            let mut request = app.http.post(app.url("/oauth/revoke")).form(&form);
            if let Some((id, secret)) = basic {
                request = request.basic_auth(id, Some(secret));
            }
            request.send().await.unwrap().status()
        }
    };
    let basic = Some((client_id.clone(), secret.clone()));

    // A wrong secret is refused; another client's revocation changes nothing.
    let wrong = Some((client_id.clone(), "wrong".to_string()));
    let form = vec![("token", issued.clone())];
    assert_eq!(revoke(form.clone(), wrong).await, StatusCode::UNAUTHORIZED);
    let as_stranger = vec![("token", issued.clone()), ("client_id", stranger)];
    assert_eq!(revoke(as_stranger, None).await, StatusCode::OK);
    assert_eq!(userinfo_status(&app, &issued).await, StatusCode::OK);
    // Garbage is answered 200, as RFC 7009 asks.
    let garbage = vec![("token", "not-a-token".to_string())];
    assert_eq!(revoke(garbage, basic.clone()).await, StatusCode::OK);

    let hinted = vec![
        ("token", issued.clone()),
        ("token_type_hint", "access_token".to_string()),
    ];
    assert_eq!(revoke(hinted, basic).await, StatusCode::OK);
    assert_eq!(
        userinfo_status(&app, &issued).await,
        StatusCode::UNAUTHORIZED
    );
}

/// `offline_access`: a refresh token that rotates on every use; an old one presented again ends
/// the grant (its tokens stop working); the revocation endpoint and a replayed code end it too.
#[tokio::test]
async fn offline_access_gives_a_refresh_token_that_rotates_once_per_use() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let code_with = |scope: &'static str| {
        let (app, client_id, signed_in) = (&app, &client_id, &signed_in);
        async move {
            let url = with_param(pkce_url(app, client_id, CALLBACK, &[]), "scope", scope);
            code_for(app, &url, signed_in).await
        }
    };
    let refresh = |token: String| {
        let (app, client_id) = (&app, client_id.clone());
        async move {
            crate::oidc::token(
                app,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &token),
                    ("client_id", &client_id),
                ],
                None,
            )
            .await
        }
    };
    let code = code_with("openid").await;
    let (_, plain) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert!(plain.get("refresh_token").is_none(), "{plain}");

    let code = code_with("openid offline_access").await;
    let (status, first) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let first_refresh = first["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = refresh(first_refresh.clone()).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert!(second["id_token"].is_string() && second["access_token"].is_string());
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first_refresh);
    let access = second["access_token"].as_str().unwrap().to_string();
    assert_eq!(userinfo_status(&app, &access).await, StatusCode::OK);

    // The first one again: refused, and the whole grant ends.
    let answer = refresh(first_refresh).await;
    assert_eq!(
        error_of(&answer),
        (StatusCode::BAD_REQUEST, Some("invalid_grant".into()))
    );
    let answer = refresh(second_refresh).await;
    assert_eq!(
        error_of(&answer),
        (StatusCode::BAD_REQUEST, Some("invalid_grant".into()))
    );
    assert_eq!(
        userinfo_status(&app, &access).await,
        StatusCode::UNAUTHORIZED
    );

    // Revoked by the client: the refresh token and its grant's access token end.
    let code = code_with("openid offline_access").await;
    let (_, tokens) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    let revoked = app
        .http
        .post(app.url("/oauth/revoke"))
        .form(&[
            ("token", tokens["refresh_token"].as_str().unwrap()),
            ("token_type_hint", "refresh_token"),
            ("client_id", &client_id),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let answer = refresh(tokens["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(error_of(&answer).1.as_deref(), Some("invalid_grant"));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo_status(&app, access).await,
        StatusCode::UNAUTHORIZED
    );

    // A replayed code ends its refresh token too.
    let code = code_with("openid offline_access").await;
    let (_, tokens) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    let answer = refresh(tokens["refresh_token"].as_str().unwrap().to_string()).await;
    assert_eq!(error_of(&answer).1.as_deref(), Some("invalid_grant"));
}
