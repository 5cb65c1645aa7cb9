//! Per-phone and per-IP limits on asking for codes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestEnv, spawn_app, spawn_app_in, spawn_app_with};

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

/// A request for a code from `client`, as the trusted proxy in front of the service reports it.
async fn request_from(
    app: &crate::helpers::TestApp,
    forwarded_for: &str,
    phone: &str,
) -> StatusCode {
    app.http
        .post(app.url("/api/v1/otp/request"))
        .header("x-forwarded-for", forwarded_for)
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn replicas_share_one_allowance_per_address() {
    let env = TestEnv::new().await;
    let limit = [("RATE_LIMIT_PER_IP_PER_MINUTE", "3")];
    let first = spawn_app_in(env.clone(), &limit).await;
    let second = spawn_app_in(env, &limit).await;
    for (app, phone) in [
        (&first, "+998901234501"),
        (&first, "+998901234502"),
        (&second, "+998901234503"),
    ] {
        assert_eq!(app.request_code(phone).await.status(), StatusCode::ACCEPTED);
    }
    let limited = second.request_code("+998901234504").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&limited) >= 1);
}

#[tokio::test]
async fn ipv6_clients_are_limited_per_64() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ("TRUST_PROXY_HEADERS", "true"),
    ])
    .await;
    // Two addresses of one /64: one allowance.
    assert_eq!(
        request_from(&app, "2001:db8:1:2::1", "+998901234501").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        request_from(&app, "2001:db8:1:2::2", "+998901234502").await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        request_from(&app, "2001:db8:1:2:ffff::3", "+998901234503").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The next /64 is someone else.
    assert_eq!(
        request_from(&app, "2001:db8:1:3::1", "+998901234504").await,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn an_address_the_client_wrote_is_never_believed() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "2"),
        ("TRUSTED_PROXY_HOPS", "1"),
        ("TRUST_PROXY_HEADERS", "true"),
    ])
    .await;
    // The proxy's entry is malformed: a fresh address on the client's side of the list each
    // time must not buy a fresh allowance; the peer address is counted instead.
    for i in 1..=2 {
        let forwarded = format!("10.0.0.{i}, not-an-address");
        let status = request_from(&app, &forwarded, &format!("+99890123450{i}")).await;
        assert_eq!(status, StatusCode::ACCEPTED, "request {i}");
    }
    assert_eq!(
        request_from(&app, "10.0.0.3, not-an-address", "+998901234503").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn one_allowance_covers_every_endpoint_that_issues_or_checks_a_code() {
    let secret = "test-bot-secret-0123456789";
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "4"),
        ("BOT_SECRET", secret),
    ])
    .await;
    assert_eq!(
        app.request_code("+998901234501").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.verify("+998901234501", "123456").await.status(),
        StatusCode::BAD_REQUEST
    );
    let register = app
        .post_json(
            "/api/v1/auth/register/telegram/",
            serde_json::json!({ "phone": "+998901234501", "code": "123456" }),
        )
        .await;
    assert_eq!(register.status(), StatusCode::BAD_REQUEST);
    let by_chat = app
        .http
        .post(app.url("/api/auth/telegram-auth/"))
        .header("x-bot-secret", secret)
        .json(&serde_json::json!({ "telegram_chat_id": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(by_chat.status(), StatusCode::OK);
    // The fifth request, on yet another endpoint, finds the allowance spent.
    let verify = app
        .post_json(
            "/verify",
            serde_json::json!({ "telegram_id": 1, "verification_code": "123456" }),
        )
        .await;
    assert_eq!(verify.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(verify.headers().contains_key("retry-after"));
}
