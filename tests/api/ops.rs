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
pub struct Capture(pub Arc<Mutex<Vec<u8>>>);

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

/// Runs `otpgram serve` with these variables only, in an empty folder (no `.env`), and returns
/// its exit status and what it wrote, or fails if it is still running after 20 s.
fn serve_with(vars: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_otpgram"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let output = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&output.stderr).to_string()
                + &String::from_utf8_lossy(&output.stdout);
            return (status, text);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("otpgram started with {vars:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn production_refuses_to_start_with_an_unsafe_setting_and_names_it() {
    let safe = [
        ("APP_ENV", "production"),
        ("TELEGRAM_BOT_TOKEN", "1:test"),
        ("JWT_SECRET", "test-secret-test-secret-test-secret-0123"),
        ("METRICS_TOKEN", "test-metrics-token-0123"),
        ("BIND_ADDR", "127.0.0.1:0"),
        // Nothing answers here: a start that got past the configuration fails on Redis.
        ("REDIS_URL", "redis://127.0.0.1:1"),
    ];
    for (var, value) in [
        ("COOKIE_SECURE", "false"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ("OTP_LENGTH", "5"),
        ("REDIS_KEY_PREFIX", "{shop}:"),
        ("METRICS_TOKEN", ""),
    ] {
        let mut vars: Vec<(&str, &str)> = safe.iter().copied().filter(|(k, _)| *k != var).collect();
        vars.push((var, value));
        let (status, output) = serve_with(&vars);
        assert!(!status.success(), "{var}={value}");
        assert!(output.contains(var), "{var}={value}: {output}");
    }
    let mut review = safe.to_vec();
    review.push(("TEST_PHONES", "+998900000001=123456"));
    review.push(("TEST_PHONES_VALID_UNTIL", "2099-12-31"));
    let (status, output) = serve_with(&review);
    assert!(!status.success());
    assert!(output.contains("TEST_PHONES_VALID_UNTIL"), "{output}");
}
