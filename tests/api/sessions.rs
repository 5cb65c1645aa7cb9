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
