//! On-demand measurements (not timed tests: nothing here asserts a duration).
//! `cargo test --release --test api measure -- --ignored --nocapture`

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestEnv, spawn_app_in, spawn_app_with},
    one_tap::{confirmation, start},
    telegram::text_update,
};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what:<28} n={:<4} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

#[tokio::test]
#[ignore = "a measurement, run on demand"]
async fn measure_request_and_verify_round_trip() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    let (mut request, mut delivery, mut verify) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..200 {
        let user = 90_000 + i;
        let phone = format!("+99890{:07}", 1_000_000 + i);
        app.link(user, &phone).await;
        let start = Instant::now();
        assert_eq!(
            app.request_code(&phone).await.status(),
            StatusCode::ACCEPTED
        );
        request.push(start.elapsed());
        let code = app.nth_code_for(user, 1).await;
        delivery.push(start.elapsed());
        let start = Instant::now();
        assert_eq!(app.verify(&phone, &code).await.status(), StatusCode::OK);
        verify.push(start.elapsed());
    }
    report("POST /otp/request", request);
    report("request → code in Telegram", delivery);
    report("POST /otp/verify (success)", verify);
}

/// From the customer's **Log in** (as Telegram hands the press to the bot) to the waiting
/// browser's answer, on the bot's replica (polling) and on another one (webhook mode: the
/// press is posted to one replica, the browser waits on the other).
#[tokio::test]
#[ignore = "a measurement, run on demand"]
async fn measure_one_tap_approval_latency() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    let mut same = Vec::new();
    for i in 0..100 {
        let user = 95_000 + i;
        app.link(user, &format!("+99891{:07}", 1_000_000 + i)).await;
        let login = start(&app).await;
        app.telegram
            .send_text(user, &format!("/start {}", login.payload()));
        let (_, approve, _) = confirmation(&app, user, login.number).await;
        let waiting = wait_in_background(&app, &login.id, &login.poll_token);
        // A person reads the confirmation before tapping; the bot answers a chat at most once a
        // second (the pacer's answer slot), so a tap sooner than that would measure the pacing.
        // The browser's request is under way by then. (A measurement: nothing asserts on time.)
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let pressed = Instant::now();
        app.telegram.press_button(user, &approve);
        let (answered, body) = waiting.await.unwrap();
        assert_eq!(body["status"], "approved", "{body}");
        same.push(answered.duration_since(pressed));
    }
    report("Log in → browser (same)", same);

    let env = TestEnv::new().await;
    let webhook = [
        ("TELEGRAM_MODE", "webhook"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://otp.shop.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
    ];
    let browser_side = spawn_app_in(env.clone(), &webhook).await;
    let bot_side = spawn_app_in(env, &webhook).await;
    let mut other = Vec::new();
    for i in 0..100 {
        let user = 96_000 + i;
        let mut contact = text_update(user, "");
        contact["message"].as_object_mut().unwrap().remove("text");
        contact["message"]["contact"] = json!({
            "phone_number": format!("99893{:07}", 1_000_000 + i), "first_name": "Ann", "user_id": user,
        });
        bot_side.post_update(10 * i, contact).await;
        browser_side
            .telegram
            .wait_for_message(user, "linked", |t| t.contains("is linked"))
            .await;
        let login = start(&browser_side).await;
        let open = text_update(user, &format!("/start {}", login.payload()));
        bot_side.post_update(10 * i + 1, open).await;
        let (_, approve, _) = confirmation(&browser_side, user, login.number).await;
        let waiting = wait_in_background(&browser_side, &login.id, &login.poll_token);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let press = json!({
            "callback_query": {
                "id": format!("cb{i}"), "chat_instance": "1", "data": approve,
                "from": { "id": user, "is_bot": false, "first_name": "Ann" },
                "message": {
                    "message_id": 7, "date": 0,
                    "chat": { "id": user, "type": "private", "first_name": "Ann" },
                    "from": { "id": 1, "is_bot": true, "first_name": "otpgram" },
                    "text": "Log in to …?",
                },
            }
        });
        let pressed = Instant::now();
        bot_side.post_update(10 * i + 2, press).await;
        let (answered, body) = waiting.await.unwrap();
        assert_eq!(body["status"], "approved", "{body}");
        other.push(answered.duration_since(pressed));
    }
    report("Log in → browser (other)", other);
}

fn wait_in_background(
    app: &TestApp,
    id: &str,
    poll_token: &str,
) -> tokio::task::JoinHandle<(Instant, Value)> {
    let (http, url, token) = (
        app.http.clone(),
        app.url(&format!("/api/v1/login/telegram/{id}?wait=25")),
        poll_token.to_string(),
    );
    tokio::spawn(async move {
        let response = http.get(url).bearer_auth(token).send().await.unwrap();
        let answered = Instant::now();
        (answered, response.json().await.unwrap())
    })
}
