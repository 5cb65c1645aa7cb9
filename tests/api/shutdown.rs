//! SIGTERM in the middle of work: what otpgram accepted before the signal is finished before
//! the process exits (within the grace period), not dropped with it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::{
    helpers::{TestEnv, code_in, eventually, spawn_app_until},
    telegram::text_update,
};

const ANN: i64 = 4201;
const PHONE: &str = "+998901113344";

/// An app that stops (as on SIGTERM) when the returned sender fires; the handle resolves once
/// `run_until` has returned.
async fn stoppable(
    env: TestEnv,
    overrides: &[(&str, &str)],
) -> (
    crate::helpers::TestApp,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (app, running) = spawn_app_until(env, overrides, async {
        let _ = stopped.await;
    })
    .await;
    (app, stop, running)
}

#[tokio::test]
async fn a_webhook_update_accepted_just_before_sigterm_is_handled() {
    let env = TestEnv::new().await;
    let (app, stop, running) = stoppable(
        env.clone(),
        &[
            ("TELEGRAM_MODE", "webhook"),
            (
                "TELEGRAM_WEBHOOK_URL",
                "https://otp.shop.example/telegram/webhook",
            ),
            ("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1"),
        ],
    )
    .await;
    // Telegram is slow: the bot's answer takes a second and a half.
    env.telegram.delay_chat(ANN, Duration::from_millis(1500));
    // Answered 200 (checked): Telegram will never send this update again.
    app.post_update(700, text_update(ANN, "/help")).await;
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    // The process has exited: the answer went out before that.
    let helps = env
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| m.text.contains("/unlink"))
        .count();
    assert_eq!(helps, 1, "the /help answer was sent before the exit");
}

#[tokio::test]
async fn a_code_whose_send_is_mid_retry_at_sigterm_is_still_delivered() {
    let env = TestEnv::new().await;
    let (app, stop, running) = stoppable(env.clone(), &[]).await;
    app.link(ANN, PHONE).await;
    // The first try meets a flood wait of two seconds.
    env.telegram
        .fail_chat(ANN, 429, 1, Some(json!({ "retry_after": 2 })));
    let before = env.telegram.attempts_to(ANN, "").len();
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    eventually(10, "the first try", || async {
        (env.telegram.attempts_to(ANN, "").len() > before).then_some(())
    })
    .await;
    // SIGTERM while the send waits out the flood wait.
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    let codes: Vec<String> = env
        .telegram
        .messages_to(ANN)
        .iter()
        .filter_map(|m| code_in(&m.text))
        .collect();
    assert_eq!(
        codes.len(),
        1,
        "the code reached the customer before the exit"
    );
}
