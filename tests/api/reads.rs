//! No SQL on a read: `GET /me`, the older shape's `me/`, and OpenID Connect's token exchange
//! and userinfo answer from Redis alone (shown with the SQL users table taken away), and every
//! change to a customer's record is seen by the next read at once.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, spawn_app_with},
    oidc::{
        ANN_PHONE, As, CALLBACK, VERIFIER, code_for, log_in, pkce_url, register as register_client,
        trade,
    },
};

const ANN: i64 = 4001;
const PHONE: &str = "+998901234567";

async fn logged_in(app: &TestApp, account: i64, phone: &str) -> String {
    let code = app.linked_code(account, phone).await;
    let response = app.verify(phone, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, path: &str, access: &str) -> (StatusCode, Value) {
    let response = app
        .http
        .get(app.url(path))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Renames the users table (`away`) or brings it back: while it is away, any read of a
/// customer's row from SQL fails.
async fn users_table(app: &TestApp, away: bool) {
    let (from, to) = if away {
        ("users", "users_away")
    } else {
        ("users_away", "users")
    };
    app.state
        .database()
        .execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
        .await
        .unwrap();
}

#[tokio::test]
async fn reads_answer_with_the_users_table_gone() {
    let app = spawn_app_with(&[("OIDC_ISSUER", "https://auth.bozor.example")]).await;
    let access = logged_in(&app, ANN + 1, PHONE).await;
    let (client_id, _) = register_client(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client_id, CALLBACK, &[("scope", "openid phone")]);
    let code = code_for(&app, &url, &signed_in).await;

    users_table(&app, true).await;
    let (status, me) = get(&app, "/api/v1/me", &access).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["phone"], PHONE);
    let (status, older) = get(&app, "/api/v1/auth/me/", &access).await;
    assert_eq!(status, StatusCode::OK, "{older}");
    assert_eq!(older["phone_number"], PHONE);
    let (status, tokens) = trade(&app, &code, CALLBACK, VERIFIER, As::Public(&client_id)).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let oidc_access = tokens["access_token"].as_str().unwrap();
    let (status, claims) = get(&app, "/oauth/userinfo", oidc_access).await;
    assert_eq!(status, StatusCode::OK, "{claims}");
    assert_eq!(claims["phone_number"], ANN_PHONE);
    users_table(&app, false).await;
}

#[tokio::test]
async fn every_change_to_a_record_is_seen_by_the_next_read() {
    let app = spawn_app_with(&[]).await;
    let access = logged_in(&app, ANN, PHONE).await;
    let (_, before) = get(&app, "/api/v1/auth/me/", &access).await;
    assert_eq!(before["language"], "en");

    // The site edits the profile; the next read, on either shape, has it.
    let changed = app
        .http
        .patch(app.url("/api/v1/auth/me/"))
        .bearer_auth(&access)
        .json(&json!({ "full_name": "Aziza Karimova", "language": "ru" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let (_, me) = get(&app, "/api/v1/me", &access).await;
    assert_eq!(me["user"]["full_name"], "Aziza Karimova");
    let (_, older) = get(&app, "/api/v1/auth/me/", &access).await;
    assert_eq!(older["full_name"], "Aziza Karimova");
    assert_eq!(older["language"], "ru");

    // The customer picks another language in the bot.
    app.telegram.send_text(ANN, "/language uz");
    app.telegram
        .wait_for_message(ANN, "the switch", |t| t.contains("Til:"))
        .await;
    let (_, older) = get(&app, "/api/v1/auth/me/", &access).await;
    assert_eq!(older["language"], "uz");

    // The copy read is the row as SQL has it.
    let row = app.user_row(PHONE).await.unwrap();
    assert_eq!(
        older["last_login"]
            .as_str()
            .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().unwrap()),
        row.last_login_at
    );
}
