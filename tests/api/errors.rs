//! Bad input gets a JSON error with a 4xx, never a 500.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

async fn assert_json_error(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn malformed_bodies_get_json_errors() {
    let app = spawn_app().await;
    let post = |path: &'static str, body: &'static str| {
        app.http
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    assert_json_error(
        post("/api/v1/otp/request", "{\"phone\":").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert_json_error(
        post("/api/v1/otp/request", "{}").await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_json_error(
        post("/api/v1/otp/request", "{\"phone\": 12}")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_json_error(
        post("/api/v1/otp/verify", "{\"phone\": \"+998901234567\"}")
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    assert_json_error(
        post("/api/v1/auth/refresh", "[").await.unwrap(),
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    let no_type = app
        .http
        .post(app.url("/api/v1/otp/request"))
        .body("{\"phone\":\"1\"}")
        .send()
        .await
        .unwrap();
    assert_json_error(
        no_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn a_missing_field_is_named() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/otp/verify",
            serde_json::json!({"phone": "+998901234567"}),
        )
        .await;
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("code"), "{body}");
}

#[tokio::test]
async fn bodies_over_16_kib_are_refused() {
    let app = spawn_app_with(&[("BOT_SECRET", "test-bot-secret-0123456789")]).await;
    let big = format!("{{\"phone\": \"{}\"}}", "1".repeat(17 * 1024));
    let response = app
        .http
        .post(app.url("/api/v1/otp/request"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_json_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    // Every endpoint that takes a body answers an oversized one with JSON, in its own shape.
    for path in [
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/verify",
        "/api/token/refresh/",
        "/api/v1/auth/telegram/otp/create/",
        "/api/v1/auth/register/telegram/",
        "/api/v1/auth/refresh/",
    ] {
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(format!("{{\"x\": \"{}\"}}", "1".repeat(17 * 1024)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        let body = response.text().await.unwrap();
        assert!(
            serde_json::from_str::<Value>(&body).is_ok_and(|v| v.is_object()),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_get_json_errors() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_json_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app
        .http
        .get(app.url("/api/v1/otp/request"))
        .send()
        .await
        .unwrap();
    assert_json_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn malformed_codes_are_invalid_codes() {
    let app = spawn_app().await;
    for code in ["", "12", "abcdef", "1234567", "12 456"] {
        let response = app.verify("+998901234567", code).await;
        assert_json_error(response, StatusCode::BAD_REQUEST, "invalid_code").await;
    }
}

#[tokio::test]
async fn health_answers() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn cors_allows_configured_origins_with_credentials() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://shop.example")]).await;
    let preflight = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/otp/request"))
        .header("origin", "https://shop.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    assert_eq!(
        preflight.headers()["access-control-allow-credentials"],
        "true"
    );
    let other = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/otp/request"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

/// PostgreSQL cannot store a NUL character in text: such input is refused up front, naming the
/// field, instead of failing in the database.
#[tokio::test]
async fn nul_characters_are_refused_with_the_field_named() {
    let app = spawn_app().await;
    let response = app
        .service(reqwest::Method::POST, "/api/v1/shops")
        .json(&serde_json::json!({ "name": "Bad\u{0}Shop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["message"].as_str().unwrap().contains("name"), "{body}");

    let (shop_id, _) = app.create_shop("Nul Shop").await;
    let order = serde_json::json!({
        "shop_id": shop_id,
        "order_id": "A-\u{0}1",
        "total": 100,
        "currency": "UZS",
        "customer": { "name": "Ali" },
        "address": "Tashkent",
    });
    let response = app
        .service(reqwest::Method::POST, "/api/v1/notifications/orders")
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("order_id"),
        "{body}"
    );
}

/// serde reads a struct from a JSON array as well; bodies that are not objects are refused.
#[tokio::test]
async fn array_bodies_are_refused() {
    let app = spawn_app_with(&[("BOT_SECRET", "test-bot-secret-0123456789")]).await;
    // Shapes serde would otherwise read as the endpoint's struct.
    let phone_and_code = r#"["+998901234567", "123456"]"#;
    for (path, body, status) in [
        (
            "/api/v1/auth/logout",
            "[null]",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/auth/refresh",
            "[null]",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/api/v1/auth/refresh/", "[null]", StatusCode::BAD_REQUEST),
        (
            "/api/v1/otp/request",
            r#"["+998901234567"]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/otp/verify",
            phone_and_code,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/verify",
            r#"[1, "123456"]"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let response = app
            .http
            .post(app.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body.is_object(), "{path}: {body}");
    }
}
