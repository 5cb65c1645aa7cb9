//! Order notifications: every subscribed chat hears about every order, exactly once.

use std::{collections::HashMap, time::Duration};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{
        KillableApp, SERVICE_KEY, TestApp, TestEnv, eventually, link_token, redis_url, spawn_app,
        spawn_app_with,
    },
    telegram::FakeTelegram,
};

const OWNER: i64 = 7001;
const GROUP: i64 = -700_100;
const SUPERGROUP: i64 = -100_700_100;

/// Fast limits, so tests that are not about pacing do not wait for it.
const FAST: &[(&str, &str)] = &[
    ("TELEGRAM_GLOBAL_RATE_PER_SECOND", "1000"),
    ("TELEGRAM_CHAT_RATE_PER_SECOND", "1000"),
    ("TELEGRAM_GROUP_RATE_PER_MINUTE", "60000"),
    ("NOTIFY_RECLAIM_IDLE_SECONDS", "2"),
    ("NOTIFY_SEND_LEASE_SECONDS", "3"),
];

fn order(shop_id: &str, order_id: &str) -> Value {
    json!({
        "shop_id": shop_id,
        "order_id": order_id,
        "total": "1250000.50",
        "currency": "UZS",
        "customer": { "name": "<b>x</b>", "phone": "+998901234567" },
        "address": "Tashkent, Amir Temur 1",
        "items": [{ "name": "Green tea", "quantity": 2, "price": 25000 }],
        "comment": "Ring twice & wait",
        "order_url": "https://shop.example/admin/orders/1",
    })
}

async fn submit(base: &str, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/notifications/orders"))
        .bearer_auth(SERVICE_KEY)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Submits an order that must be accepted as new (202); returns its notification id.
async fn accepted(base: &str, body: &Value) -> String {
    let response = submit(base, body).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().unwrap().to_string()
}

impl TestApp {
    async fn notification(&self, id: &str) -> Value {
        let response = self
            .service(Method::GET, &format!("/api/v1/notifications/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        eventually(20, &format!("notification status {status}"), || async {
            let n = self.notification(id).await;
            (n["status"] == status).then_some(n)
        })
        .await
    }

    async fn shop_with_two_chats(&self) -> String {
        shop_with_two_chats(&self.address, &self.telegram).await
    }
}

/// A shop with the owner's private chat and a staff group subscribed through the bot.
async fn shop_with_two_chats(base: &str, telegram: &FakeTelegram) -> String {
    let id = shop_with_owner(base, telegram).await;
    // A link subscribes one chat: the group gets a link of its own.
    let http = reqwest::Client::new();
    let second: Value = http
        .post(format!("{base}/api/v1/shops/{id}/links"))
        .bearer_auth(SERVICE_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    telegram.make_admin(GROUP, OWNER);
    telegram.send_group_text(GROUP, OWNER, &format!("/link {}", link_token(&second)));
    // The group's confirmation and the owner's notice of it are out too, so failures a test
    // injects next hit order messages.
    telegram
        .wait_for_message(GROUP, "the subscription confirmation", |t| {
            t.contains("receives new orders")
        })
        .await;
    telegram
        .wait_for_message(OWNER, "the notice of the new chat", |t| {
            t.contains("Another chat now receives")
        })
        .await;
    id
}

/// The delivery of a notification to `chat`.
fn delivery_to(notification: &Value, chat: i64) -> Value {
    notification["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["chat_id"] == chat)
        .unwrap_or_else(|| panic!("no delivery to {chat}: {notification}"))
        .clone()
}

fn order_messages(telegram: &FakeTelegram, chat: i64) -> Vec<String> {
    telegram
        .messages_to(chat)
        .into_iter()
        .filter(|m| m.text.contains("New order"))
        .map(|m| m.text)
        .collect()
}

#[tokio::test]
async fn every_subscribed_chat_gets_the_order_with_user_text_escaped() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    let response = submit(&app.address, &order(&shop, "A-1001")).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "queued");
    let id = body["id"].as_str().unwrap().to_string();

    for chat in [OWNER, GROUP] {
        let message = app
            .telegram
            .wait_for_message(chat, "the order", |t| t.contains("New order #A-1001"))
            .await;
        assert_eq!(message.body["parse_mode"], "HTML");
        let text = &message.text;
        assert!(
            text.contains("&lt;b&gt;x&lt;/b&gt;"),
            "the customer's name shows literally: {text}"
        );
        assert!(text.contains("1 250 000.50 UZS"), "{text}");
        assert!(text.contains("Green tea × 2 — 25 000"), "{text}");
        assert!(text.contains("Ring twice &amp; wait"), "{text}");
        assert!(
            text.contains("<a href=\"https://shop.example/admin/orders/1\">Open order</a>"),
            "{text}"
        );
        assert!(text.contains("Tea House"));
    }
    let done = app.wait_for_status(&id, "sent").await;
    let deliveries = done["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    for d in deliveries {
        assert_eq!(d["status"], "sent");
        assert_eq!(d["attempts"], 1);
        assert!(d["sent_at"].is_string());
    }
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"otpgram_deliveries_total{outcome="sent"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn the_same_order_twice_is_one_notification() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    let first = submit(&app.address, &order(&shop, "A-1")).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: Value = first.json().await.unwrap();
    let id = first["id"].as_str().unwrap().to_string();
    app.wait_for_status(&id, "sent").await;

    let again = submit(&app.address, &order(&shop, "A-1")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["status"], "sent");

    // A different order afterwards arrives; the duplicate never did.
    let next_id = accepted(&app.address, &order(&shop, "A-2")).await;
    app.wait_for_status(&next_id, "sent").await;
    for chat in [OWNER, GROUP] {
        let texts = order_messages(&app.telegram, chat);
        assert_eq!(
            texts.iter().filter(|t| t.contains("#A-1<")).count(),
            1,
            "{texts:?}"
        );
    }
}

#[tokio::test]
async fn bad_submissions_get_clear_errors() {
    let app = spawn_app_with(FAST).await;
    let (shop, _) = app.create_shop("Tea House").await;

    let unknown = submit(
        &app.address,
        &order("00000000-0000-0000-0000-000000000000", "1"),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "shop_not_found"
    );

    let mut no_currency = order(&shop, "1");
    no_currency.as_object_mut().unwrap().remove("currency");
    let missing = submit(&app.address, &no_currency).await;
    assert_eq!(missing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(
        body["message"].as_str().unwrap().contains("currency"),
        "{body}"
    );

    let mut bad_total = order(&shop, "1");
    bad_total["total"] = json!("twelve");
    let body: Value = submit(&app.address, &bad_total).await.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("total"),
        "{body}"
    );

    let mut bad_url = order(&shop, "1");
    bad_url["order_url"] = json!("javascript:alert(1)");
    let response = submit(&app.address, &bad_url).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .contains("order_url")
    );

    let no_key = app
        .post_json("/api/v1/notifications/orders", order(&shop, "1"))
        .await;
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);

    // A number is a fine order id and total.
    let mut numeric = order(&shop, "1");
    numeric["order_id"] = json!(12345);
    numeric["total"] = json!(99.5);
    assert_eq!(
        submit(&app.address, &numeric).await.status(),
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn a_shop_without_chats_reports_no_recipients() {
    let app = spawn_app_with(FAST).await;
    let (shop, _) = app.create_shop("Quiet Shop").await;
    let response = submit(&app.address, &order(&shop, "Q-1")).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "no_recipients");
    let shown = app.notification(body["id"].as_str().unwrap()).await;
    assert_eq!(shown["status"], "no_recipients");
    assert_eq!(shown["deliveries"], json!([]));
}

#[tokio::test]
async fn telegram_429_is_waited_out_as_it_asks() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    app.telegram
        .fail_chat(OWNER, 429, 1, Some(json!({ "retry_after": 2 })));
    let id = accepted(&app.address, &order(&shop, "R-1")).await;
    let done = app.wait_for_status(&id, "sent").await;
    let attempts = app.telegram.attempts_to(OWNER, "New order");
    let throttled = attempts.iter().find(|(_, s)| *s == 429).expect("a 429").0;
    let delivered = attempts
        .iter()
        .find(|(_, s)| *s == 200)
        .expect("a delivery")
        .0;
    assert!(
        delivered - throttled >= Duration::from_secs(2),
        "{:?}",
        delivered - throttled
    );
    let owner = delivery_to(&done, OWNER);
    assert_eq!(owner["attempts"], 2);
    assert_eq!(order_messages(&app.telegram, OWNER).len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    // One failure: teloxide itself waits 10 s after a 5xx before it reports it.
    app.telegram.fail_chat(GROUP, 502, 1, None);
    let id = accepted(&app.address, &order(&shop, "S-1")).await;
    // While it waits to retry, the notification says so.
    eventually(20, "the group delivery retrying", || async {
        let n = app.notification(&id).await;
        let group = n["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["chat_id"] == GROUP)
            .cloned()
            .unwrap();
        (n["status"] == "sending" && group["status"] == "retrying").then_some(())
    })
    .await;
    let done = app.wait_for_status(&id, "sent").await;
    let group = delivery_to(&done, GROUP);
    assert_eq!(group["attempts"], 2);
    assert_eq!(order_messages(&app.telegram, GROUP).len(), 1);
}

#[tokio::test]
async fn a_delivery_that_keeps_failing_is_given_up_after_the_retry_window() {
    let mut config = FAST.to_vec();
    config.push(("NOTIFY_MAX_RETRY_SECONDS", "3"));
    let app = spawn_app_with(&config).await;
    let shop = app.shop_with_two_chats().await;
    app.telegram.garble_chat(GROUP, 100);
    let id = accepted(&app.address, &order(&shop, "G-1")).await;
    let done = app.wait_for_status(&id, "partial").await;
    let group = delivery_to(&done, GROUP);
    assert_eq!(group["status"], "failed");
    assert!(
        group["error"].as_str().unwrap().contains("gave up"),
        "{group}"
    );
    let attempts = group["attempts"].as_i64().unwrap();
    assert!(
        (2..=4).contains(&attempts),
        "backed off 1 s, 2 s … within 3 s: {attempts}"
    );
    assert_eq!(order_messages(&app.telegram, OWNER).len(), 1);
}

#[tokio::test]
async fn a_chat_that_blocked_the_bot_becomes_inactive() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    app.telegram.fail_chat(OWNER, 403, 1, None);
    let id = accepted(&app.address, &order(&shop, "B-1")).await;
    let done = app.wait_for_status(&id, "partial").await;
    let owner = delivery_to(&done, OWNER);
    assert_eq!(owner["status"], "inactive");
    assert!(owner["error"].as_str().unwrap().contains("blocked"));

    let shown: Value = app
        .service(Method::GET, &format!("/api/v1/shops/{shop}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat = shown["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chat_id"] == OWNER)
        .unwrap()
        .clone();
    assert_eq!(chat["active"], false);

    // The next order goes to the group only.
    let next_id = accepted(&app.address, &order(&shop, "B-2")).await;
    let next = app.wait_for_status(&next_id, "sent").await;
    assert_eq!(next["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(app.telegram.attempts_to(OWNER, "New order").len(), 1);
}

#[tokio::test]
async fn a_group_that_became_a_supergroup_is_followed() {
    let app = spawn_app_with(FAST).await;
    let shop = app.shop_with_two_chats().await;
    app.telegram.fail_chat(
        GROUP,
        400,
        1,
        Some(json!({ "migrate_to_chat_id": SUPERGROUP })),
    );
    let id = accepted(&app.address, &order(&shop, "M-1")).await;
    app.telegram
        .wait_for_message(SUPERGROUP, "the order in the supergroup", |t| {
            t.contains("#M-1")
        })
        .await;
    let done = app.wait_for_status(&id, "sent").await;
    let chats: Vec<i64> = done["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["chat_id"].as_i64().unwrap())
        .collect();
    assert!(
        chats.contains(&SUPERGROUP) && !chats.contains(&GROUP),
        "{chats:?}"
    );

    let shown: Value = app
        .service(Method::GET, &format!("/api/v1/shops/{shop}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let moved = shown["chats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["chat_id"] == SUPERGROUP)
        .expect("moved")
        .clone();
    assert_eq!(moved["type"], "supergroup");
    assert!(
        shown["chats"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["chat_id"] != GROUP)
    );
}

#[tokio::test]
async fn sending_stays_within_the_rate_limits() {
    // 4 messages/s overall, 2/s to a private chat, 60/min (1/s) to a group.
    let app = spawn_app_with(&[
        ("TELEGRAM_GLOBAL_RATE_PER_SECOND", "4"),
        ("TELEGRAM_CHAT_RATE_PER_SECOND", "2"),
        ("TELEGRAM_GROUP_RATE_PER_MINUTE", "60"),
    ])
    .await;
    let shop = app.shop_with_two_chats().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let body: Value = submit(&app.address, &order(&shop, &format!("L-{i}")))
            .await
            .json()
            .await
            .unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        app.wait_for_status(id, "sent").await;
    }
    let tolerance = Duration::from_millis(20);
    for (chat, interval) in [
        (OWNER, Duration::from_millis(500)),
        (GROUP, Duration::from_secs(1)),
    ] {
        let times: Vec<_> = app
            .telegram
            .attempts_to(chat, "New order")
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(times.len(), 4);
        for pair in times.windows(2) {
            assert!(
                pair[1] - pair[0] + tolerance >= interval,
                "chat {chat}: {:?}",
                pair[1] - pair[0]
            );
        }
    }
    let mut all: Vec<_> = app
        .telegram
        .sent()
        .into_iter()
        .filter(|s| s.text.contains("New order"))
        .map(|s| s.at)
        .collect();
    all.sort();
    assert_eq!(all.len(), 8);
    for window in all.windows(5) {
        // Five messages never fit in one second at 4/s.
        assert!(
            window[4] - window[0] + tolerance >= Duration::from_secs(1),
            "{:?}",
            window[4] - window[0]
        );
    }
}

/// Counts each (chat, order) pair in what the fake received.
fn delivered_pairs(telegram: &FakeTelegram) -> HashMap<(i64, String), usize> {
    let mut pairs = HashMap::new();
    for sent in telegram.sent() {
        if let Some(rest) = sent.text.split("New order #").nth(1) {
            let order_id = rest.split('<').next().unwrap().to_string();
            *pairs.entry((sent.chat_id, order_id)).or_insert(0) += 1;
        }
    }
    pairs
}

async fn assert_each_exactly_once(telegram: &FakeTelegram, orders: usize) {
    let pairs = eventually(60, "every order in every chat", || async {
        let pairs = delivered_pairs(telegram);
        (pairs.len() == orders * 2).then_some(pairs)
    })
    .await;
    let doubled: Vec<_> = pairs.iter().filter(|(_, n)| **n != 1).collect();
    assert!(doubled.is_empty(), "sent more than once: {doubled:?}");
}

#[tokio::test]
async fn a_killed_worker_loses_nothing_and_doubles_nothing() {
    let env = TestEnv::new().await;
    let first = KillableApp::start(&env, FAST).await;
    let shop = shop_with_two_chats(&first.address, &env.telegram).await;
    // Telegram takes 30 order messages, then stops answering: the app dies mid-delivery.
    env.telegram
        .stall_after(Some(env.telegram.sent().len() + 30));
    for i in 0..100 {
        let response = submit(&first.address, &order(&shop, &format!("K-{i}"))).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    eventually(20, "the first 30 messages", || async {
        (delivered_pairs(&env.telegram).len() >= 30).then_some(())
    })
    .await;
    first.kill();

    env.telegram.stall_after(None);
    let _second = KillableApp::start(&env, FAST).await;
    assert_each_exactly_once(&env.telegram, 100).await;
}

#[tokio::test]
async fn work_still_queued_after_redis_lost_its_data_is_sent_at_startup() {
    let env = TestEnv::new().await;
    let first = KillableApp::start(&env, FAST).await;
    let shop = shop_with_two_chats(&first.address, &env.telegram).await;
    env.telegram.stall_after(Some(env.telegram.sent().len()));
    for i in 0..10 {
        assert_eq!(
            submit(&first.address, &order(&shop, &format!("D-{i}")))
                .await
                .status(),
            StatusCode::ACCEPTED
        );
    }
    first.kill();
    // Redis loses everything of this app: the queue is gone.
    let redis = fred::clients::Client::new(
        fred::prelude::Config::from_url(&redis_url()).unwrap(),
        None,
        None,
        None,
    );
    fred::prelude::ClientLike::init(&redis).await.unwrap();
    let stream = format!("{}notify:stream", env.prefix);
    fred::prelude::KeysInterface::del::<(), _>(&redis, &stream)
        .await
        .unwrap();

    env.telegram.stall_after(None);
    let _second = KillableApp::start(&env, FAST).await;
    assert_each_exactly_once(&env.telegram, 10).await;
}

#[tokio::test]
async fn a_russian_speaking_owner_reads_orders_in_russian() {
    let app = spawn_app_with(FAST).await;
    const RU_OWNER: i64 = 7301;
    let (shop, token) = app.create_shop("Choyxona").await;
    app.telegram.speak(RU_OWNER, "ru");
    app.telegram
        .send_text(RU_OWNER, &format!("/start shop_{token}"));
    app.telegram
        .wait_for_message(RU_OWNER, "confirmation", |t| {
            t.contains("получает новые заказы «Choyxona»")
        })
        .await;
    let id = accepted(&app.address, &order(&shop, "R-77")).await;
    app.wait_for_status(&id, "sent").await;
    let message = app
        .telegram
        .wait_for_message(RU_OWNER, "the order", |t| t.contains("Новый заказ #R-77"))
        .await;
    assert!(message.text.contains("Открыть заказ"), "{}", message.text);
    assert!(message.text.contains("Товары"), "{}", message.text);
}

#[tokio::test]
async fn an_order_of_emoji_is_delivered_shortened_not_failed() {
    let app = spawn_app_with(FAST).await;
    let shop = shop_with_owner(&app.address, &app.telegram).await;
    let mut body = order(&shop, "emoji-1");
    // 3,000 emoji are 3,000 characters but 6,000 UTF-16 code units: Telegram counts the latter.
    let emoji = "🍵".repeat(3000);
    body["comment"] = json!(emoji);
    body["address"] = json!("🍵".repeat(1000));
    body["items"] = json!(
        (0..50)
            .map(|_| json!({ "name": "🍵".repeat(200), "quantity": 1, "price": 1000 }))
            .collect::<Vec<_>>()
    );
    let id = accepted(&app.address, &body).await;
    app.wait_for_status(&id, "sent").await;
    let message = app
        .telegram
        .messages_to(OWNER)
        .into_iter()
        .find(|m| m.text.contains("emoji-1"))
        .unwrap();
    assert!(message.text.contains('…'), "shortened");
    assert!(message.text.contains("Open order"));
}

#[tokio::test]
async fn customer_fields_cannot_forge_lines_of_an_order_message() {
    let app = spawn_app_with(FAST).await;
    let shop = shop_with_owner(&app.address, &app.telegram).await;
    let mut body = order(&shop, "forged-1");
    body["customer"]["name"] = json!("Ann\n💰 <b>0 UZS</b> (paid)");
    body["address"] = json!("Street 1\r\n📍 Pick-up point\u{2028}");
    body["comment"] = json!("Ring twice\n\nleave at the door");
    let id = accepted(&app.address, &body).await;
    app.wait_for_status(&id, "sent").await;
    let text = app
        .telegram
        .messages_to(OWNER)
        .into_iter()
        .find(|m| m.text.contains("forged-1"))
        .unwrap()
        .text;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("💰")).count(),
        1,
        "{text}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("📍")).count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("👤 Ann 💰 &lt;b&gt;0 UZS&lt;/b&gt; (paid)"),
        "{text}"
    );
    assert!(
        text.contains("💬 Ring twice\n     leave at the door"),
        "{text}"
    );
}

/// A shop with the owner's private chat subscribed; returns the shop id.
async fn shop_with_owner(base: &str, telegram: &FakeTelegram) -> String {
    let created: Value = reqwest::Client::new()
        .post(format!("{base}/api/v1/shops"))
        .bearer_auth(SERVICE_KEY)
        .json(&json!({ "name": "Tea House" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = link_token(&created);
    telegram.send_text(OWNER, &format!("/start shop_{token}"));
    telegram
        .wait_for_message(OWNER, "the subscription", |t| {
            t.contains("receives new orders")
        })
        .await;
    created["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_send_in_flight_at_shutdown_is_recorded_and_never_sent_again() {
    use entity::delivery;
    use sea_orm::{Database, EntityTrait};
    let env = TestEnv::new().await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (first, running) = crate::helpers::spawn_app_until(env.clone(), FAST, async {
        let _ = stopped.await;
    })
    .await;
    let shop = shop_with_owner(&first.address, &env.telegram).await;
    // Telegram is slow today: an answer takes three seconds, longer than the rest of the
    // shutdown (the bot's long poll ends within a second).
    env.telegram.delay_chat(OWNER, Duration::from_millis(3000));
    accepted(&first.address, &order(&shop, "S-1")).await;
    eventually(10, "the message reaching Telegram", || async {
        (!env.telegram.attempts_to(OWNER, "S-1").is_empty()).then_some(())
    })
    .await;
    // SIGTERM while Telegram has the message and has not answered yet.
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();

    // The process is gone, its pools closed: the outcome was recorded before that.
    let db = Database::connect(&env.database_url).await.unwrap();
    let rows = delivery::Entity::find().all(&db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status.as_str(), "sent", "{rows:?}");

    // The next process sends nothing again (a later order shows it is working).
    env.telegram.delay_chat(OWNER, Duration::ZERO);
    let second = crate::helpers::spawn_app_in(env.clone(), FAST).await;
    let later = accepted(&second.address, &order(&shop, "S-2")).await;
    second.wait_for_status(&later, "sent").await;
    assert_eq!(
        env.telegram
            .messages_to(OWNER)
            .iter()
            .filter(|m| m.text.contains("S-1"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_message_whose_answer_was_lost_is_not_sent_again_and_says_so() {
    let app = spawn_app_with(FAST).await;
    let shop = shop_with_owner(&app.address, &app.telegram).await;
    app.telegram.drop_after_receiving(OWNER, 1);
    let id = accepted(&app.address, &order(&shop, "U-1")).await;
    let notification = eventually(20, "the unknown outcome", || async {
        let n = app.notification(&id).await;
        (delivery_to(&n, OWNER)["status"] == "unknown").then_some(n)
    })
    .await;
    assert_eq!(notification["status"], "partial");
    // Another order goes through, and the first was shown exactly once.
    let later = accepted(&app.address, &order(&shop, "U-2")).await;
    app.wait_for_status(&later, "sent").await;
    assert_eq!(order_messages(&app.telegram, OWNER).len(), 2);
    let metrics = app.metrics().await;
    assert!(
        metrics.contains(r#"otpgram_deliveries_total{outcome="unknown"}"#),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_worker_whose_lease_ran_out_cannot_overwrite_a_newer_outcome() {
    use entity::delivery;
    use otpgram::testing::deliveries::{self, Claimed};
    use sea_orm::{EntityTrait, sea_query::Expr};
    // The notification is recorded without being queued, so the app's own worker leaves it
    // alone (its sweep looks only at work overdue by a minute): the test plays both workers.
    let app = spawn_app().await;
    let (shop, token) = app.create_shop("Tea House").await;
    otpgram::testing::subscribe(
        &app.state,
        &token,
        otpgram::testing::ChatInfo {
            chat_id: otpgram::ChatId(OWNER),
            chat_type: "private",
            title: None,
            added_by: Some(otpgram::TelegramId(OWNER)),
            language: "en",
        },
    )
    .await
    .unwrap()
    .unwrap();
    let recorded = otpgram::testing::notifications::record(
        app.state.database(),
        shop.parse().unwrap(),
        "L-1",
        order(&shop, "L-1").to_string(),
    )
    .await
    .unwrap();
    let otpgram::testing::notifications::Recorded::New { id, .. } = recorded else {
        panic!("a new notification: {recorded:?}");
    };
    let db = app.state.database();
    let lease = Duration::from_secs(60);
    let old = deliveries::claim(db, id, OWNER, lease)
        .await
        .unwrap()
        .unwrap();
    // The first worker stalls past its lease; a second one takes over and sends.
    delivery::Entity::update_many()
        .col_expr(
            delivery::Column::LeaseUntil,
            Expr::value(chrono::Utc::now() - chrono::TimeDelta::seconds(1)),
        )
        .exec(db)
        .await
        .unwrap();
    let new = deliveries::claim(db, id, OWNER, lease)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(old, new);
    let claimed = |token| Claimed {
        notification: id,
        chat_id: OWNER,
        token,
    };
    assert!(deliveries::mark_sent(db, claimed(&new), 42).await.unwrap());
    // The first worker wakes up and records its (stale) failure: refused.
    assert!(
        !deliveries::mark_failed(db, claimed(&old), "timeout".into())
            .await
            .unwrap()
    );
    let shown = app.notification(&id.to_string()).await;
    assert_eq!(shown["status"], "sent");
    assert_eq!(delivery_to(&shown, OWNER)["status"], "sent");
}
