//! Operating the service: readiness, request ids, what the logs may never hold.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use reqwest::StatusCode;
use serde_json::Value;
use tracing_subscriber::fmt::MakeWriter;

use crate::helpers::{spawn_app, spawn_app_with};

#[tokio::test]
async fn readyz_reports_each_dependency() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["redis"], "ok");
    assert_eq!(body["checks"]["database"], "ok");
    assert_eq!(body["checks"]["telegram"], "ok");
}

#[tokio::test]
async fn readyz_names_the_dependency_that_fails() {
    let app = spawn_app_with(&[]).await;
    // Once the bot answers, its own getMe is done: the next one is the readiness check's.
    app.telegram.send_text(9301, "/help");
    app.telegram
        .wait_for_message(9301, "help", |t| t.contains("/status"))
        .await;
    // teloxide waits 10 s after a 5xx: the 2 s check gives up first.
    app.telegram.fail_next("getMe", 500, 1, None);
    let response = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["redis"], "ok");
    assert!(body["checks"]["telegram"]["error"].is_string(), "{body}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let generated = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = generated.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let honoured = app
        .http
        .get(app.url("/api/v1/nothing"))
        .header("x-request-id", "shop-req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(honoured.headers()["x-request-id"], "shop-req-42");
}

/// Collects what the subscriber writes.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn a_whole_login_logs_no_code_no_token_and_no_full_phone() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(true)
        .with_env_filter("otpgram=trace,tower_http=debug,info")
        .with_writer(capture.clone())
        .finish();
    // This test's runtime has one thread: the app's tasks log through this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = spawn_app().await;
    let code = app.linked_code(9101, "+998901234567").await;
    let login: Value = app
        .verify("+998901234567", &code)
        .await
        .json()
        .await
        .unwrap();
    let access = login["access_token"].as_str().unwrap().to_string();
    let refresh = login["refresh_token"].as_str().unwrap().to_string();
    let refreshed: Value = app
        .post_json(
            "/api/v1/auth/refresh",
            serde_json::json!({ "refresh_token": refresh }),
        )
        .await
        .json()
        .await
        .unwrap();
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let logout = app
        .http
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(refreshed["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("login verified"), "the capture works: {logs}");
    assert!(logs.contains("+99890*****67"), "phones appear masked");
    for (what, secret) in [
        ("the code", code.as_str()),
        ("the access token", access.as_str()),
        ("the refresh token", refresh.as_str()),
        (
            "the rotated refresh token",
            refreshed["refresh_token"].as_str().unwrap(),
        ),
        ("the full phone", "901234567"),
        ("the JWT secret", crate::helpers::JWT_SECRET),
    ] {
        assert!(!logs.contains(secret), "{what} is in the logs");
    }
}

#[tokio::test]
async fn metrics_count_requests_codes_and_telegram_calls() {
    let app = spawn_app().await;
    let code = app.linked_code(9201, "+998901234567").await;
    assert_eq!(
        app.verify("+998901234567", "000000").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.verify("+998901234567", &code).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    // The recorder is shared by every app in this test process: check presence, not counts.
    for expected in [
        r#"otpgram_http_requests_total{route="/api/v1/otp/verify",method="POST",status="200"}"#,
        r#"otpgram_http_request_duration_seconds_bucket{route="/api/v1/otp/verify""#,
        r#"otpgram_codes_issued_total{kind="site"}"#,
        "otpgram_codes_verified_total",
        r#"otpgram_codes_rejected_total{reason="invalid"}"#,
        r#"otpgram_rate_limited_total{limit="cooldown"}"#,
        r#"otpgram_telegram_calls_total{method="sendMessage",outcome="ok"}"#,
    ] {
        assert!(text.contains(expected), "missing {expected}\n{text}");
    }
    // Routes are patterns, never raw paths with ids or phones.
    assert!(!text.contains("998901234567"));
}

#[tokio::test]
async fn metrics_can_require_a_token() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-me-please")]).await;
    let anonymous = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let scraper = app
        .http
        .get(app.url("/metrics"))
        .bearer_auth("scrape-me-please")
        .send()
        .await
        .unwrap();
    assert_eq!(scraper.status(), StatusCode::OK);
}
