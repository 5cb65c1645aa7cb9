//! Login codes arrive on a bad day too: through Telegram's throttling and failures, ahead of a
//! burst of orders, and a user hammering a button cannot spend the bot's budget.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, code_in, eventually, spawn_app_with},
    ops::Capture,
};

const ANN: i64 = 5001;
const PHONE: &str = "+998901234567";

/// The moments login codes were sent to `chat` and what Telegram answered each time.
fn code_attempts(app: &TestApp, chat: i64) -> Vec<(Instant, u16)> {
    app.telegram.attempts_to(chat, "<code>")
}

#[tokio::test]
async fn a_throttled_code_is_sent_again_after_retry_after() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, PHONE).await;
    app.telegram
        .fail_chat(ANN, 429, 1, Some(json!({ "retry_after": 1 })));
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let code = app.nth_code_for(ANN, 1).await;
    let attempts = code_attempts(&app, ANN);
    assert_eq!(attempts.len(), 2, "{attempts:?}");
    assert_eq!(attempts[0].1, 429);
    assert!(attempts[1].0 - attempts[0].0 >= Duration::from_secs(1));
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_goes_through_server_errors_and_broken_answers() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, PHONE).await;
    app.telegram.fail_chat(ANN, 502, 1, None);
    app.telegram.garble_chat(ANN, 1);
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let code = app.nth_code_for(ANN, 1).await;
    assert_eq!(code_attempts(&app, ANN).len(), 3);
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_code_that_cannot_arrive_while_it_lives_is_given_up_and_logged() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("otpgram=info")
        .with_writer(capture.clone())
        .finish();
    // This test's runtime has one thread: the app's tasks log through this subscriber too.
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = spawn_app_with(&[("OTP_TTL_SECONDS", "2")]).await;
    app.link(ANN, PHONE).await;
    // Telegram asks for a pause longer than the code lives.
    app.telegram
        .fail_chat(ANN, 429, 1, Some(json!({ "retry_after": 5 })));
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let logs = eventually(10, "the give-up in the log", || async {
        let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
        logs.contains("could not be delivered before it expired")
            .then_some(logs)
    })
    .await;
    assert!(logs.contains("+99890*****67"), "{logs}");
    assert!(!logs.contains("901234567"), "no full phone: {logs}");
    assert_eq!(
        code_attempts(&app, ANN).len(),
        1,
        "no try after the code died"
    );
    let metrics = app.metrics().await;
    for outcome in ["delivered", "given_up"] {
        let line = format!("otpgram_code_messages_total{{outcome=\"{outcome}\"}}");
        assert!(metrics.contains(&line), "{line}\n{metrics}");
    }
}

#[tokio::test]
async fn a_burst_of_orders_neither_delays_codes_nor_lets_them_exceed_the_budget() {
    let app = spawn_app_with(&[
        ("TELEGRAM_GLOBAL_RATE_PER_SECOND", "5"),
        ("TELEGRAM_CHAT_RATE_PER_SECOND", "1000"),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
    ])
    .await;
    let customers: Vec<(i64, String)> = (0..5)
        .map(|i| (ANN + 10 + i, format!("+99890123450{i}")))
        .collect();
    for (id, phone) in &customers {
        app.link(*id, phone).await;
    }
    // A shop with an owner chat, and 20 orders: 4 seconds of the budget.
    let (shop, token) = app.create_shop("Tea House").await;
    app.telegram
        .send_text(7001, &format!("/start shop_{token}"));
    app.telegram
        .wait_for_message(7001, "the subscription", |t| t.contains("Tea House"))
        .await;
    for i in 0..20 {
        let response = app
            .service(Method::POST, "/api/v1/notifications/orders")
            .json(&json!({
                "shop_id": shop, "order_id": format!("burst-{i}"), "total": 1000,
                "currency": "UZS", "customer": { "name": "Bob" }, "address": "Tashkent",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    // Mid-burst, five customers ask for codes at once.
    app.telegram
        .wait_for_message(7001, "the burst under way", |t| t.contains("burst-"))
        .await;
    let asked = Instant::now();
    for (_, phone) in &customers {
        assert_eq!(app.request_code(phone).await.status(), StatusCode::ACCEPTED);
    }
    for (id, _) in &customers {
        app.nth_code_for(*id, 1).await;
        let sent = app
            .telegram
            .messages_to(*id)
            .into_iter()
            .find(|m| code_in(&m.text).is_some())
            .unwrap();
        // Five codes at 5 messages/s take a second; the margin is for a loaded test machine.
        assert!(
            sent.at - asked <= Duration::from_millis(2000),
            "a code waited {:?} behind the orders",
            sent.at - asked
        );
    }
    eventually(20, "every order", || async {
        let orders = app
            .telegram
            .messages_to(7001)
            .iter()
            .filter(|m| m.text.contains("burst-"))
            .count();
        (orders == 20).then_some(())
    })
    .await;
    // Within any second, codes and orders together stay within the budget (5, and one at the
    // window's edge).
    let mut times: Vec<Instant> = app
        .telegram
        .sent()
        .iter()
        .filter(|m| m.text.contains("burst-") || code_in(&m.text).is_some())
        .map(|m| m.at)
        .collect();
    times.sort();
    for (i, start) in times.iter().enumerate() {
        let in_window = times[i..]
            .iter()
            .take_while(|t| **t - *start < Duration::from_secs(1))
            .count();
        assert!(in_window <= 6, "{in_window} messages within a second");
    }
}

#[tokio::test]
async fn a_user_hammering_the_button_gets_about_one_answer_a_second() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, PHONE).await;
    let before = app.telegram.messages_to(ANN).len();
    for _ in 0..10 {
        app.telegram.press_button(ANN, "login_code");
    }
    // A later message is answered after whatever the presses earned.
    app.telegram.send_text(ANN, "/status");
    app.telegram
        .wait_for_message(ANN, "the status", |t| t.contains("Linked phone"))
        .await;
    let answers: Vec<Value> = app.telegram.messages_to(ANN)[before..]
        .iter()
        .filter(|m| !m.text.contains("Linked phone"))
        .map(|m| json!(m.text))
        .collect();
    // The code, and at most one "wait" for the second press; the other eight are dropped.
    assert!(answers.len() <= 2, "{answers:#?}");
    assert!(
        answers
            .iter()
            .any(|t| code_in(t.as_str().unwrap()).is_some())
    );
}
