//! The Gateway channel, against a fake Gateway API served over real HTTP: codes reach phones
//! that never opened the bot (or blocked it), nothing tells the three kinds of phone apart, and
//! nobody can spend the shop's money past its limits.

use fred::prelude::{HashesInterface, KeysInterface};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{
    fake_gateway::{Failure, GATEWAY_TOKEN},
    helpers::{TestApp, TestEnv, eventually, spawn_app_in},
};

const ANN: i64 = 4101;
const LINKED: &str = "+998901112233";
const UNLINKED: &str = "+998901112244";
const NOT_ON_TELEGRAM: &str = "+998901112255";

async fn gateway_app_in(env: TestEnv, extra: &[(&str, &str)]) -> TestApp {
    let settings = env.gateway.settings();
    let mut overrides: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    overrides.push(("RATE_LIMIT_PER_IP_PER_MINUTE", "0"));
    overrides.extend_from_slice(extra);
    spawn_app_in(env, &overrides).await
}

async fn gateway_app(extra: &[(&str, &str)]) -> TestApp {
    gateway_app_in(TestEnv::new().await, extra).await
}

/// Waits for the `n`-th (1-based) code the Gateway accepted for `phone`.
async fn nth_gateway_code(
    app: &TestApp,
    phone: &str,
    n: usize,
) -> crate::fake_gateway::GatewaySend {
    eventually(10, "a code through the Gateway", || async {
        app.gateway.sent_to(phone).into_iter().nth(n - 1)
    })
    .await
}

/// The first `checkVerificationStatus` otpgram sent (it reports verifies in the background).
async fn first_verification_check(app: &TestApp) -> Value {
    eventually(10, "checkVerificationStatus", || async {
        app.gateway
            .calls_of("checkVerificationStatus")
            .into_iter()
            .next()
    })
    .await
}

/// The phone's current Gateway message as Redis holds it: its fields (`r`, `h`, `s`).
async fn gateway_record(
    app: &TestApp,
    phone: &str,
) -> Option<std::collections::HashMap<String, String>> {
    let id: Option<String> = app
        .redis
        .get(format!("{}{{p:{phone}}}:gw", app.prefix))
        .await
        .unwrap();
    let id = id?;
    let fields: std::collections::HashMap<String, String> = app
        .redis
        .hgetall(format!("{}{{g:{id}}}", app.prefix))
        .await
        .unwrap();
    Some(fields)
}

#[tokio::test]
async fn an_unlinked_phone_gets_its_code_through_the_gateway_and_logs_in_with_it() {
    let app = gateway_app(&[("OIDC_ISSUER", "https://id.shop.example")]).await;
    let response = app.request_code(UNLINKED).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let sent = nth_gateway_code(&app, UNLINKED, 1).await;
    assert_eq!(sent.code.len(), 6);
    // The lifetime is the code's own; the payload names neither the phone nor the code.
    assert!((590..=600).contains(&sent.ttl), "ttl {}", sent.ttl);
    assert!(!sent.payload.is_empty() && sent.payload.len() <= 128);
    assert!(!sent.payload.contains(&sent.code) && !sent.payload.contains("998901112244"));
    assert_eq!(
        sent.callback_url.as_deref(),
        Some("https://id.shop.example/telegram/gateway/reports")
    );
    // The per-phone cooldown holds for the Gateway as for the bot: no second send.
    let again = app.request_code(UNLINKED).await;
    assert_eq!(again.status(), StatusCode::TOO_MANY_REQUESTS);

    let verified = app.verify(UNLINKED, &sent.code).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let body: Value = verified.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    // Telegram hears that its code was typed in, for its conversion figures.
    let check = first_verification_check(&app).await;
    assert_eq!(
        check,
        json!({ "request_id": sent.request_id, "code": sent.code })
    );
    assert_eq!(app.gateway.tries_for(UNLINKED), 1);
    assert!(app.gateway.calls_of("revokeVerificationMessage").is_empty());
}

#[tokio::test]
async fn a_linked_phone_hears_from_the_bot_and_the_gateway_is_not_asked() {
    let app = gateway_app(&[]).await;
    let code = app.linked_code(ANN, LINKED).await;
    assert_eq!(app.verify(LINKED, &code).await.status(), StatusCode::OK);
    // The next code (past the cooldown is not needed: a second phone proves the Gateway works).
    app.request_code(UNLINKED).await;
    nth_gateway_code(&app, UNLINKED, 1).await;
    assert_eq!(app.gateway.tries_for(LINKED), 0);
    assert!(app.gateway.calls_of("checkVerificationStatus").is_empty());
}

#[tokio::test]
async fn a_customer_who_blocked_the_bot_gets_the_code_through_the_gateway_once() {
    let app = gateway_app(&[]).await;
    app.link(ANN, LINKED).await;
    app.telegram.fail_chat(ANN, 403, 10, None);
    assert_eq!(
        app.request_code(LINKED).await.status(),
        StatusCode::ACCEPTED
    );
    let sent = nth_gateway_code(&app, LINKED, 1).await;
    assert_eq!(
        app.verify(LINKED, &sent.code).await.status(),
        StatusCode::OK
    );
    first_verification_check(&app).await;
    // One try at the bot (refused for good), one send through the Gateway.
    assert_eq!(app.telegram.attempts_to(ANN, &sent.code).len(), 1);
    assert_eq!(app.gateway.tries_for(LINKED), 1);
}

#[tokio::test]
async fn a_code_typed_in_before_the_gateway_answers_is_still_reported() {
    let app = gateway_app(&[]).await;
    app.gateway.hold_answers();
    app.request_code(UNLINKED).await;
    // Telegram took the code (it is on the phone), but its answer has not reached otpgram.
    let sent = nth_gateway_code(&app, UNLINKED, 1).await;
    assert_eq!(
        app.verify(UNLINKED, &sent.code).await.status(),
        StatusCode::OK
    );
    let record = format!("{}{{g:{}}}", app.prefix, sent.payload);
    eventually(10, "the message marked verified", || async {
        let status: Option<String> = app.redis.hget(&record, "s").await.unwrap();
        (status.as_deref() == Some("verified")).then_some(())
    })
    .await;
    assert!(app.gateway.calls_of("checkVerificationStatus").is_empty());
    app.gateway.release_answers();
    let check = first_verification_check(&app).await;
    assert_eq!(check["request_id"], json!(sent.request_id));
    assert_eq!(check["code"], json!(sent.code));
}

#[tokio::test]
async fn flood_waits_and_server_errors_are_tried_again_while_the_code_lives() {
    let app = gateway_app(&[]).await;
    app.gateway
        .fail_next(&[Failure::FloodWait(1), Failure::Status(502)]);
    app.request_code(UNLINKED).await;
    let sent = nth_gateway_code(&app, UNLINKED, 1).await;
    assert_eq!(app.gateway.tries_for(UNLINKED), 3);
    assert_eq!(
        app.verify(UNLINKED, &sent.code).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_code_is_not_tried_past_its_lifetime() {
    // A 2-second code behind a 5-second flood wait: given up, not sent late.
    let app = gateway_app(&[("OTP_TTL_SECONDS", "2")]).await;
    app.gateway.fail_next(&[Failure::FloodWait(5)]);
    app.request_code(UNLINKED).await;
    eventually(10, "the first try", || async {
        (app.gateway.tries_for(UNLINKED) == 1).then_some(())
    })
    .await;
    let before = 0;
    eventually(10, "the send given up", || async {
        (not_sent(&app, "expired").await > before).then_some(())
    })
    .await;
    assert_eq!(app.gateway.tries_for(UNLINKED), 1);
    // The Gateway's shortest ttl is 30 s, whatever the code's.
    let calls = app.gateway.calls_of("sendVerificationMessage");
    assert_eq!(calls[0]["ttl"], 30);
}

#[tokio::test]
async fn a_phone_not_on_telegram_is_recorded_and_never_tried_again() {
    let app = gateway_app(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")]).await;
    app.gateway.not_on_telegram(NOT_ON_TELEGRAM);
    assert_eq!(
        app.request_code(NOT_ON_TELEGRAM).await.status(),
        StatusCode::ACCEPTED
    );
    let record = eventually(10, "the refusal recorded", || async {
        gateway_record(&app, NOT_ON_TELEGRAM).await
    })
    .await;
    assert_eq!(record["s"], "phone_unreachable");
    assert_eq!(app.gateway.tries_for(NOT_ON_TELEGRAM), 1);
    assert!(app.gateway.sent_to(NOT_ON_TELEGRAM).is_empty());
}

/// What a caller sees of one answer: status, body, and every header but the per-request ones.
async fn seen(response: reqwest::Response) -> (StatusCode, Vec<(String, String)>, Value) {
    let status = response.status();
    let mut headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "date" | "x-request-id" | "retry-after"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("?").to_string()))
        .collect();
    headers.sort();
    (status, headers, response.json().await.unwrap())
}

#[tokio::test]
async fn linked_unlinked_and_not_on_telegram_phones_answer_alike() {
    let app = gateway_app(&[]).await;
    app.link(ANN, LINKED).await;
    app.gateway.not_on_telegram(NOT_ON_TELEGRAM);
    let phones = [LINKED, UNLINKED, NOT_ON_TELEGRAM];
    let mut steps = Vec::new();
    for step in ["request", "request again", "wrong guess", "wrong guess"] {
        let mut answers = Vec::new();
        for phone in phones {
            let response = match step {
                "request" | "request again" => app.request_code(phone).await,
                _ => app.verify(phone, "000000").await,
            };
            answers.push(seen(response).await);
        }
        steps.push((step, answers));
    }
    for (step, answers) in &steps {
        assert_eq!(answers[0], answers[1], "{step}: linked vs unlinked");
        assert_eq!(answers[0], answers[2], "{step}: linked vs not on Telegram");
    }
    assert_eq!(steps[0].1[0].0, StatusCode::ACCEPTED);
    assert_eq!(steps[1].1[0].0, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_hourly_budget_is_shared_by_replicas_and_spent_codes_still_answer_202() {
    let env = TestEnv::new().await;
    let budget = [("GATEWAY_MAX_SENDS_PER_HOUR", "2")];
    let one = gateway_app_in(env.clone(), &budget).await;
    let two = gateway_app_in(env, &budget).await;
    let phones = ["+998901110001", "+998901110002", "+998901110003"];
    assert_eq!(
        one.request_code(phones[0]).await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        two.request_code(phones[1]).await.status(),
        StatusCode::ACCEPTED
    );
    nth_gateway_code(&one, phones[0], 1).await;
    nth_gateway_code(&one, phones[1], 1).await;
    assert_eq!(
        one.request_code(phones[2]).await.status(),
        StatusCode::ACCEPTED
    );
    // The third send took (and overdrew) the budget: nothing went out.
    let hour = chrono::Utc::now().timestamp() / 3600;
    let key = format!("{}{{gw}}:sends:{hour}", one.prefix);
    eventually(10, "the third send counted", || async {
        let taken: Option<u64> = one.redis.get(&key).await.unwrap();
        (taken == Some(3)).then_some(())
    })
    .await;
    assert_eq!(one.gateway.calls_of("sendVerificationMessage").len(), 2);
}

#[tokio::test]
async fn only_listed_countries_are_sent_to() {
    let app = gateway_app(&[("GATEWAY_COUNTRY_CODES", "998")]).await;
    let russian = "+79161234567";
    let before = not_sent(&app, "country").await;
    assert_eq!(
        app.request_code(russian).await.status(),
        StatusCode::ACCEPTED
    );
    eventually(10, "the send refused for its country", || async {
        (not_sent(&app, "country").await > before).then_some(())
    })
    .await;
    assert_eq!(app.gateway.tries_for(russian), 0);
}

/// `otpgram_gateway_not_sent_total{reason}` (all apps of this test binary count into it).
async fn not_sent(app: &TestApp, reason: &str) -> u64 {
    let line = format!(r#"otpgram_gateway_not_sent_total{{reason="{reason}"}} "#);
    app.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&line).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

#[tokio::test]
async fn an_account_that_cannot_pay_stops_gateway_sends_for_every_replica() {
    let app = gateway_app(&[]).await;
    app.gateway
        .fail_next(&[Failure::Named("BALANCE_NOT_ENOUGH")]);
    app.request_code("+998901110011").await;
    let paused = format!("{}{{gw}}:paused", app.prefix);
    eventually(10, "sends paused", || async {
        let there: bool = app.redis.exists(&paused).await.unwrap();
        there.then_some(())
    })
    .await;
    let before = not_sent(&app, "paused").await;
    assert_eq!(
        app.request_code("+998901110012").await.status(),
        StatusCode::ACCEPTED
    );
    eventually(10, "the next send held back", || async {
        (not_sent(&app, "paused").await > before).then_some(())
    })
    .await;
    // One call (refused), no retry storm, nothing for the second phone.
    assert_eq!(app.gateway.calls_of("sendVerificationMessage").len(), 1);
}

/// A report as Telegram signs it, `age` seconds old, signed with `token`.
fn signed_report(body: &Value, age: i64, token: &str) -> (String, String, String) {
    let body = body.to_string();
    let timestamp = (chrono::Utc::now().timestamp() - age).to_string();
    let key = Sha256::digest(token.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{timestamp}\n{body}").as_bytes());
    (timestamp, hex::encode(mac.finalize().into_bytes()), body)
}

async fn post_report(
    app: &TestApp,
    report: Option<(String, String, String)>,
    body: &Value,
) -> StatusCode {
    let mut request = app
        .http
        .post(app.url("/telegram/gateway/reports"))
        .header("content-type", "application/json");
    let raw = match report {
        Some((timestamp, signature, raw)) => {
            request = request
                .header("x-request-timestamp", timestamp)
                .header("x-request-signature", signature);
            raw
        }
        None => body.to_string(),
    };
    request.body(raw).send().await.unwrap().status()
}

#[tokio::test]
async fn delivery_reports_count_only_with_telegrams_signature() {
    let app = gateway_app(&[]).await;
    app.request_code(UNLINKED).await;
    let sent = nth_gateway_code(&app, UNLINKED, 1).await;
    eventually(10, "the message recorded", || async {
        gateway_record(&app, UNLINKED).await
    })
    .await;
    let report = json!({
        "request_id": sent.request_id,
        "phone_number": UNLINKED,
        "request_cost": 0.01,
        "delivery_status": { "status": "delivered", "updated_at": 1 },
        "payload": sent.payload,
    });
    let status = |app| async move { gateway_record(app, UNLINKED).await.unwrap()["s"].clone() };
    // Forged, stale, missing: 401, and nothing changes.
    let forged = signed_report(&report, 0, "not-the-token");
    assert_eq!(
        post_report(&app, Some(forged), &report).await,
        StatusCode::UNAUTHORIZED
    );
    let stale = signed_report(&report, 301, GATEWAY_TOKEN);
    assert_eq!(
        post_report(&app, Some(stale), &report).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post_report(&app, None, &report).await,
        StatusCode::UNAUTHORIZED
    );
    let (timestamp, signature, raw) = signed_report(&report, 0, GATEWAY_TOKEN);
    let tampered = raw.replace("delivered", "revoked");
    assert_eq!(
        post_report(&app, Some((timestamp, signature, tampered)), &report).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(status(&app).await, "sent");
    // Good: 200 and recorded; again: 200, and still delivered.
    let good = signed_report(&report, 0, GATEWAY_TOKEN);
    assert_eq!(
        post_report(&app, Some(good.clone()), &report).await,
        StatusCode::OK
    );
    assert_eq!(status(&app).await, "delivered");
    assert_eq!(post_report(&app, Some(good), &report).await, StatusCode::OK);
    let mut late = report.clone();
    late["delivery_status"]["status"] = json!("sent");
    let late_signed = signed_report(&late, 0, GATEWAY_TOKEN);
    assert_eq!(
        post_report(&app, Some(late_signed), &late).await,
        StatusCode::OK
    );
    assert_eq!(status(&app).await, "delivered");
    // A delivered message is not withdrawn when its code is used.
    assert_eq!(
        app.verify(UNLINKED, &sent.code).await.status(),
        StatusCode::OK
    );
    first_verification_check(&app).await;
    assert!(app.gateway.calls_of("revokeVerificationMessage").is_empty());
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"otpgram_gateway_reports_total{status="delivered"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn reports_are_refused_while_the_gateway_is_off() {
    let app = crate::helpers::spawn_app().await;
    let report = json!({ "request_id": "x", "payload": "y" });
    let signed = signed_report(&report, 0, GATEWAY_TOKEN);
    assert_eq!(
        post_report(&app, Some(signed), &report).await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_gateway_message_still_on_its_way_is_withdrawn_when_the_bot_brings_a_newer_code() {
    let app = gateway_app(&[]).await;
    app.request_code(UNLINKED).await;
    let sent = nth_gateway_code(&app, UNLINKED, 1).await;
    eventually(10, "the message recorded", || async {
        gateway_record(&app, UNLINKED).await
    })
    .await;
    // "No code? Open the bot": the customer links, and the bot brings a fresh code.
    app.link(ANN, UNLINKED).await;
    let code = app.nth_code_for(ANN, 1).await;
    let revoked = eventually(10, "revokeVerificationMessage", || async {
        app.gateway
            .calls_of("revokeVerificationMessage")
            .into_iter()
            .next()
    })
    .await;
    assert_eq!(revoked, json!({ "request_id": sent.request_id }));
    // The bot's code logs in; the Gateway's older one does not.
    assert_eq!(
        app.verify(UNLINKED, &sent.code).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.verify(UNLINKED, &code).await.status(), StatusCode::OK);
    assert!(app.gateway.calls_of("checkVerificationStatus").is_empty());
}
