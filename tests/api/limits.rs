//! Per-phone and per-IP limits on asking for codes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{spawn_app, spawn_app_with};

const ANN: i64 = 3001;
const PHONE: &str = "+998901234567";

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_second_request_within_the_cooldown_is_refused_with_retry_after() {
    let app = spawn_app().await;
    app.link(ANN, PHONE).await;
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let again = app.request_code(PHONE).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&again);
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "rate_limited"
    );
}

#[tokio::test]
async fn the_hourly_cap_stops_the_sixth_code() {
    let app = spawn_app_with(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")]).await;
    app.link(ANN, PHONE).await;
    for _ in 0..5 {
        assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    }
    let capped = app.request_code(PHONE).await;
    assert_eq!(capped.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&capped);
    assert!(wait > 3000 && wait <= 3600, "{wait}");
    // Five codes went out, no more.
    app.nth_code_for(ANN, 5).await;
    let codes = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| m.text.contains("<code>"))
        .count();
    assert_eq!(codes, 5);
}

#[tokio::test]
async fn unlinked_phones_are_limited_the_same_way() {
    let app = spawn_app().await;
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    assert_eq!(
        app.request_code(PHONE).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn one_address_is_limited_across_phones() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "3")]).await;
    for i in 0..3 {
        let phone = format!("+99890123450{i}");
        assert_eq!(
            app.request_code(&phone).await.status(),
            StatusCode::ACCEPTED
        );
    }
    let limited = app.request_code("+998901234509").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&limited) >= 1);
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"],
        "rate_limited"
    );
    // Other endpoints are not behind the per-IP limit.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn what_cannot_be_a_phone_is_refused() {
    let app = spawn_app().await;
    for phone in ["hello", "12", "+1 (555) 000", "<script>alert(1)</script>"] {
        let response = app.request_code(phone).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{phone}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_phone"
        );
    }
}
