//! Refresh rotation, reuse detection, logout and revoked sessions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const ANN: i64 = 4001;
const PHONE: &str = "+998901234567";

async fn login(app: &TestApp) -> Value {
    let code = app.linked_code(ANN, PHONE).await;
    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_json("/api/v1/auth/refresh", json!({ "refresh_token": token }))
        .await
}

async fn me(app: &TestApp, access: &str) -> StatusCode {
    app.http
        .get(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_session() {
    let app = spawn_app_with(&[("JWT_REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let session = login(&app).await;
    let first = session["refresh_token"].as_str().unwrap();

    let rotated = refresh(&app, first).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    assert!(rotated.headers().get_all("set-cookie").iter().count() >= 2);
    let rotated: Value = rotated.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        me(&app, rotated["access_token"].as_str().unwrap()).await,
        StatusCode::OK
    );

    // The rotated-out token comes back: theft is assumed and the whole session ends.
    let reused = refresh(&app, first).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "token_reused"
    );
    assert_eq!(
        refresh(&app, second).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&app, rotated["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn two_tabs_refreshing_at_once_both_stay_logged_in() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let token = session["refresh_token"].as_str().unwrap();
    let a = refresh(&app, token).await;
    let b = refresh(&app, token).await;
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    assert_eq!(
        refresh(&app, a["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        refresh(&app, b["refresh_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_works_from_the_cookie_alone() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let token = session["refresh_token"].as_str().unwrap();
    let response = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("refresh_token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn logout_revokes_the_session_and_clears_the_cookies() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let access = session["access_token"].as_str().unwrap();
    let response = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cleared: Vec<&str> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("access_token=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("refresh_token=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );

    // A revoked session is refused at once, though the access token has not expired.
    assert_eq!(me(&app, access).await, StatusCode::UNAUTHORIZED);
    let refreshed = refresh(&app, session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_accepts_the_refresh_token_in_the_body() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let response = app
        .post_json(
            "/api/v1/auth/logout",
            json!({ "refresh_token": session["refresh_token"] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&app, session["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn me_reads_the_access_cookie() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let response = app
        .http
        .get(app.url("/api/v1/me"))
        .header(
            "cookie",
            format!("access_token={}", session["access_token"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn tokens_are_not_interchangeable_or_forgeable() {
    let app = spawn_app().await;
    let session = login(&app).await;
    // A refresh token is not an access token.
    assert_eq!(
        me(&app, session["refresh_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
    // An access token is not a refresh token.
    let wrong_kind = refresh(&app, session["access_token"].as_str().unwrap()).await;
    assert_eq!(wrong_kind.status(), StatusCode::UNAUTHORIZED);
    // A token signed with another key, or with "none", is refused.
    let access = session["access_token"].as_str().unwrap();
    let mut parts: Vec<&str> = access.split('.').collect();
    let none_header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
    parts[0] = none_header;
    assert_eq!(
        me(&app, &format!("{}.{}.", parts[0], parts[1])).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me(&app, "not-a-jwt").await, StatusCode::UNAUTHORIZED);
    let no_auth = app.http.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(no_auth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        no_auth.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
}

/// The claims of a token this app signed.
fn claims(token: &str) -> Value {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.set_audience(&["otpgram"]);
    jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(crate::helpers::JWT_SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims
}

fn jti(session: &Value) -> String {
    claims(session["refresh_token"].as_str().unwrap())["jti"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_token_presented_twice_within_the_grace_gets_one_successor_not_a_fork() {
    let app = spawn_app().await;
    let session = login(&app).await;
    let token = session["refresh_token"].as_str().unwrap();
    let a: Value = refresh(&app, token).await.json().await.unwrap();
    let b: Value = refresh(&app, token).await.json().await.unwrap();
    // Both tabs hold the one successor: the session has a single live refresh token.
    assert_eq!(jti(&a), jti(&b));
    let next: Value = refresh(&app, a["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let late = refresh(&app, b["refresh_token"].as_str().unwrap()).await;
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(jti(&late.json().await.unwrap()), jti(&next));
}

#[tokio::test]
async fn a_session_never_outlives_its_maximum_age() {
    use fred::prelude::HashesInterface;
    let app = spawn_app_with(&[("SESSION_MAX_AGE_SECONDS", "60")]).await;
    let session = login(&app).await;
    // Neither token outlives the session, whatever its own lifetime.
    for token in ["access_token", "refresh_token"] {
        let c = claims(session[token].as_str().unwrap());
        let lifetime = c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap();
        assert!(lifetime <= 60, "{token}: {lifetime} s");
    }
    let refreshed = refresh(&app, session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();

    // The session began 61 s ago (as if it had: its start is what Redis remembers).
    let c = claims(refreshed["refresh_token"].as_str().unwrap());
    let key = format!(
        "{}{{u:{}}}:s:{}",
        app.prefix,
        c["sub"].as_str().unwrap(),
        c["sid"].as_str().unwrap()
    );
    let began = chrono::Utc::now().timestamp_millis() - 61_000;
    let _: () = app.redis.hset(&key, ("c", began)).await.unwrap();
    let late = refresh(&app, refreshed["refresh_token"].as_str().unwrap()).await;
    assert_eq!(late.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&app, refreshed["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn when_a_phone_moves_to_another_account_the_old_owner_is_logged_out_everywhere() {
    const BOB: i64 = 4002;
    let app = spawn_app_with(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")]).await;
    let first = login(&app).await;
    let second: Value = app
        .verify(PHONE, &{
            app.request_code(PHONE).await;
            app.nth_code_for(ANN, 2).await
        })
        .await
        .json()
        .await
        .unwrap();
    // A code the old owner holds, not used yet.
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let held = app.nth_code_for(ANN, 3).await;

    // The phone number now belongs to Bob's Telegram account.
    app.link(BOB, PHONE).await;
    for session in [&first, &second] {
        assert_eq!(
            me(&app, session["access_token"].as_str().unwrap()).await,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            refresh(&app, session["refresh_token"].as_str().unwrap())
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let stale = app.verify(PHONE, &held).await;
    assert_eq!(stale.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        stale.json::<Value>().await.unwrap()["error"],
        "invalid_code"
    );
}

#[tokio::test]
async fn an_account_that_links_another_phone_logs_the_old_phone_out() {
    let app = spawn_app().await;
    let session = login(&app).await;
    app.link(ANN, "+998901234599").await;
    assert_eq!(
        me(&app, session["access_token"].as_str().unwrap()).await,
        StatusCode::UNAUTHORIZED
    );
}
