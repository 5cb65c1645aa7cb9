//! Linking a phone in the bot.

use reqwest::StatusCode;

use crate::helpers::{code_in, eventually, spawn_app};

const ANN: i64 = 1001;
const BOB: i64 = 1002;

#[tokio::test]
async fn start_offers_a_share_phone_button() {
    let app = spawn_app().await;
    app.telegram.send_text(ANN, "/start");
    let reply = app
        .telegram
        .wait_for_message(ANN, "welcome", |t| t.contains("Welcome"))
        .await;
    let button = &reply.body["reply_markup"]["keyboard"][0][0];
    assert_eq!(button["request_contact"], true, "{:#}", reply.body);
    assert!(
        button["text"]
            .as_str()
            .unwrap()
            .contains("Share phone number")
    );
}

#[tokio::test]
async fn sharing_your_own_contact_links_the_phone() {
    let app = spawn_app().await;
    app.telegram.share_contact(ANN, Some(ANN), "998901234567");
    let reply = app
        .telegram
        .wait_for_message(ANN, "linked", |t| t.contains("is linked"))
        .await;
    assert!(reply.text.contains("+99890*****67"), "{}", reply.text);
    assert!(
        reply.text.contains("https://shop.example/login"),
        "{}",
        reply.text
    );
    assert!(
        !reply.text.contains("901234567"),
        "the full phone must not be echoed"
    );

    let user = app.user_row("+998901234567").await.expect("a user row");
    assert_eq!(user.telegram_id, Some(ANN));
    assert!(!user.is_verified);
    assert_eq!(user.first_name.as_deref(), Some("Ann"));
    assert_eq!(user.last_name.as_deref(), Some("Lee"));
    assert_eq!(user.language.as_deref(), Some("en"));
}

#[tokio::test]
async fn someone_elses_contact_is_refused_and_binds_nothing() {
    let app = spawn_app().await;
    app.telegram.share_contact(ANN, Some(BOB), "998901234567");
    app.telegram
        .wait_for_message(ANN, "refusal", |t| t.contains("someone else's contact"))
        .await;
    // A contact without a user id (typed into the address book) is refused the same way.
    app.telegram.share_contact(ANN, None, "998901234568");
    eventually(10, "second refusal", || async {
        (app.telegram
            .messages_to(ANN)
            .iter()
            .filter(|m| m.text.contains("someone else's contact"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    assert!(app.user_row("+998901234567").await.is_none());
    assert!(app.user_row("+998901234568").await.is_none());
    let dump = app.redis_dump().await;
    assert!(
        dump.iter().all(|(key, _)| !key.contains("{p:")),
        "nothing may be bound in Redis: {dump:?}"
    );
}

#[tokio::test]
async fn a_typed_phone_number_is_refused() {
    let app = spawn_app().await;
    app.telegram.send_text(ANN, "+998 90 123 45 67");
    let reply = app
        .telegram
        .wait_for_message(ANN, "refusal", |t| t.contains("typed number"))
        .await;
    assert_eq!(
        reply.body["reply_markup"]["keyboard"][0][0]["request_contact"],
        true
    );
    assert!(app.user_row("+998901234567").await.is_none());
}

#[tokio::test]
async fn status_shows_the_masked_phone_and_verification() {
    let app = spawn_app().await;
    app.telegram.send_text(ANN, "/status");
    app.telegram
        .wait_for_message(ANN, "unlinked status", |t| t.contains("No phone is linked"))
        .await;

    let code = app.linked_code(ANN, "+998901234567").await;
    app.telegram.send_text(ANN, "/status");
    app.telegram
        .wait_for_message(ANN, "status", |t| {
            t.contains("+99890*****67") && t.contains("not yet")
        })
        .await;

    assert_eq!(
        app.verify("+998901234567", &code).await.status(),
        StatusCode::OK
    );
    app.telegram.send_text(ANN, "/status");
    app.telegram
        .wait_for_message(ANN, "verified status", |t| t.contains("Verified: yes"))
        .await;
}

#[tokio::test]
async fn help_lists_the_commands() {
    let app = spawn_app().await;
    app.telegram.send_text(ANN, "/help");
    app.telegram
        .wait_for_message(ANN, "help", |t| {
            t.contains("/status") && t.contains("/help") && t.contains("/start")
        })
        .await;
}

#[tokio::test]
async fn a_phone_moved_to_another_account_is_unbound_there_and_that_account_is_told() {
    let app = spawn_app().await;
    app.link(ANN, "+998901234567").await;
    app.link(BOB, "+998901234567").await;
    app.telegram
        .wait_for_message(ANN, "moved notice", |t| {
            t.contains("linked to another Telegram account")
        })
        .await;

    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    let code = app.nth_code_for(BOB, 1).await;
    assert_eq!(code.len(), 6);
    assert!(
        app.telegram
            .messages_to(ANN)
            .iter()
            .all(|m| code_in(&m.text).is_none()),
        "the old account must not receive codes"
    );
    let user = app.user_row("+998901234567").await.unwrap();
    assert_eq!(user.telegram_id, Some(BOB));
}

#[tokio::test]
async fn an_account_that_links_a_new_phone_loses_the_old_one() {
    let app = spawn_app().await;
    app.link(ANN, "+998901234567").await;
    app.link(ANN, "+998901234568").await;
    let old = app.user_row("+998901234567").await.unwrap();
    assert_eq!(old.telegram_id, None);
    let new = app.user_row("+998901234568").await.unwrap();
    assert_eq!(new.telegram_id, Some(ANN));
    // A code for the old phone reaches nobody (but the answer is the same); one for the new
    // phone, asked for afterwards, arrives alone.
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.request_code("+998901234568").await.status(),
        StatusCode::ACCEPTED
    );
    app.nth_code_for(ANN, 1).await;
    let codes = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| code_in(&m.text).is_some())
        .count();
    assert_eq!(codes, 1);
}

#[tokio::test]
async fn one_replica_polls_and_another_takes_over_when_it_dies() {
    use crate::helpers::{KillableApp, TestEnv};
    let env = TestEnv::new().await;
    let first = KillableApp::start(&env, &[]).await;
    // The first replica polls...
    env.telegram.send_text(ANN, "/help");
    env.telegram
        .wait_for_message(ANN, "help", |t| t.contains("/status"))
        .await;
    // ...and stays the only poller when a second one starts.
    let _second = KillableApp::start(&env, &[]).await;
    env.telegram.reset_poll_stats();
    for _ in 0..3 {
        env.telegram.send_text(ANN, "/help");
    }
    eventually(10, "three more answers", || async {
        (env.telegram
            .messages_to(ANN)
            .iter()
            .filter(|m| m.text.contains("/status"))
            .count()
            == 4)
            .then_some(())
    })
    .await;
    // Let a few polls go by with both replicas up.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        env.telegram.max_concurrent_polls(),
        1,
        "two replicas polled at once"
    );

    first.kill();
    let killed = std::time::Instant::now();
    env.telegram.send_text(ANN, "/status");
    // The dead replica's lease runs out (8 s at most), the other takes it (retries every 1 s).
    eventually(15, "an answer from the second replica", || async {
        env.telegram
            .messages_to(ANN)
            .iter()
            .any(|m| m.text.contains("No phone is linked"))
            .then_some(())
    })
    .await;
    assert!(
        killed.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        killed.elapsed()
    );
}

#[tokio::test]
async fn webhook_mode_registers_checks_the_secret_and_handles_each_update_once() {
    use crate::telegram::text_update;
    let app = crate::helpers::spawn_app_with(&[
        ("TELEGRAM_MODE", "webhook"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://otp.shop.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1"),
    ])
    .await;
    let registered = eventually(10, "setWebhook", || async {
        app.telegram.calls_of("setWebhook").pop()
    })
    .await;
    assert_eq!(
        registered["url"],
        "https://otp.shop.example/telegram/webhook"
    );
    assert_eq!(registered["secret_token"], "hook-secret_1");

    let post = |secret: Option<&'static str>, update: serde_json::Value| {
        let mut request = app.http.post(app.url("/telegram/webhook")).json(&update);
        if let Some(secret) = secret {
            request = request.header("x-telegram-bot-api-secret-token", secret);
        }
        request.send()
    };
    let mut update = text_update(ANN, "/help");
    update["update_id"] = serde_json::json!(500);
    assert_eq!(
        post(None, update.clone()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some("hook-secret_2"), update.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(Some("hook-secret_1"), update.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // Telegram delivers it again: answered, not handled twice.
    assert_eq!(
        post(Some("hook-secret_1"), update).await.unwrap().status(),
        StatusCode::OK
    );

    let mut next = text_update(ANN, "/status");
    next["update_id"] = serde_json::json!(501);
    assert_eq!(
        post(Some("hook-secret_1"), next).await.unwrap().status(),
        StatusCode::OK
    );
    app.telegram
        .wait_for_message(ANN, "status", |t| t.contains("No phone is linked"))
        .await;
    let helps = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| m.text.contains("/unlink"))
        .count();
    assert_eq!(helps, 1, "the repeated update was handled once");
    assert!(
        app.telegram.calls_of("getUpdates").is_empty(),
        "nothing polls in webhook mode"
    );
}

#[tokio::test]
async fn the_bot_hands_out_a_login_code_on_request() {
    let app = spawn_app().await;
    app.link(ANN, "+998901234567").await;
    // The link answer carries the button.
    let linked = app
        .telegram
        .wait_for_message(ANN, "linked", |t| t.contains("is linked"))
        .await;
    let button = &linked.body["reply_markup"]["inline_keyboard"][0][0];
    assert_eq!(button["callback_data"], "login_code", "{:#}", linked.body);

    app.telegram.press_button(ANN, "login_code");
    let code = app.nth_code_for(ANN, 1).await;
    let message = app
        .telegram
        .messages_to(ANN)
        .into_iter()
        .find(|m| m.text.contains(&code))
        .unwrap();
    assert!(
        message.text.contains("https://shop.example/login"),
        "{}",
        message.text
    );
    assert_eq!(
        app.verify("+998901234567", &code).await.status(),
        StatusCode::OK
    );

    // The button has its own cooldown: a second press within it waits.
    app.telegram.press_button(ANN, "login_code");
    app.telegram
        .wait_for_message(ANN, "cooldown", |t| t.contains("You can ask for a new one"))
        .await;
    // The site's cooldown is its own: traffic on one side never holds the other back.
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // /code offers the button again; an unlinked account is asked to link first.
    app.telegram.send_text(ANN, "/code");
    let offer = app
        .telegram
        .wait_for_message(ANN, "offer", |t| t.contains("Press the button"))
        .await;
    assert_eq!(
        offer.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "login_code"
    );
    app.telegram.send_text(BOB, "/code");
    app.telegram
        .wait_for_message(BOB, "link first", |t| t.contains("Link your phone first"))
        .await;
}

#[tokio::test]
async fn russian_and_uzbek_speakers_get_their_texts() {
    let app = crate::helpers::spawn_app_with(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")]).await;
    const RU: i64 = 1201;
    const UZ: i64 = 1202;
    app.telegram.speak(RU, "ru");
    app.telegram.speak(UZ, "uz");

    app.telegram.send_text(RU, "/start");
    let welcome = app
        .telegram
        .wait_for_message(RU, "welcome", |t| t.contains("Добро пожаловать"))
        .await;
    assert!(
        welcome.body["reply_markup"]["keyboard"][0][0]["text"]
            .as_str()
            .unwrap()
            .contains("Поделиться")
    );
    app.telegram.send_text(UZ, "/start");
    app.telegram
        .wait_for_message(UZ, "welcome", |t| t.contains("Xush kelibsiz"))
        .await;

    app.telegram.share_contact(RU, Some(RU), "998901234567");
    app.telegram
        .wait_for_message(RU, "linked", |t| t.contains("привязан"))
        .await;
    app.telegram.share_contact(UZ, Some(UZ), "998901234568");
    app.telegram
        .wait_for_message(UZ, "linked", |t| t.contains("bog‘landi"))
        .await;

    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    let ru_code = app
        .telegram
        .wait_for_message(RU, "code", |t| t.contains("<code>"))
        .await;
    assert!(
        ru_code.text.contains("10 минут") && ru_code.text.contains("Никому"),
        "{}",
        ru_code.text
    );
    assert_eq!(
        app.request_code("+998901234568").await.status(),
        StatusCode::ACCEPTED
    );
    let uz_code = app
        .telegram
        .wait_for_message(UZ, "code", |t| t.contains("<code>"))
        .await;
    assert!(
        uz_code.text.contains("10 daqiqa") && uz_code.text.contains("hech kimga"),
        "{}",
        uz_code.text
    );

    // /language switches, and sticks.
    app.telegram.send_text(RU, "/language en");
    app.telegram
        .wait_for_message(RU, "switched", |t| t.contains("Language: English"))
        .await;
    app.telegram.send_text(RU, "/status");
    app.telegram
        .wait_for_message(RU, "english status", |t| t.contains("Linked phone:"))
        .await;
    // Codes follow the switch too (the language is kept beside the binding in Redis).
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    app.telegram
        .wait_for_message(RU, "an English code", |t| {
            t.contains("<code>") && t.contains("Never share")
        })
        .await;
}
