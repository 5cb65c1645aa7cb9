//! One-tap login: the browser starts a login, the customer confirms it in Telegram, the
//! browser that waits with its poll token gets the session, once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestEnv, eventually, spawn_app_in, spawn_app_with},
    telegram::{BOT_USERNAME, text_update},
};

const ANN: i64 = 3001;
const BOB: i64 = 3002;
const ANN_PHONE: &str = "+998901112233";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

/// A login as the browser holds it.
pub struct Started {
    pub id: String,
    pub link: String,
    pub poll_token: String,
    /// The number the page shows, to pick in Telegram.
    pub number: u8,
}

impl Started {
    /// What `/start` carries when the link is opened.
    pub fn payload(&self) -> String {
        self.link.split_once("?start=").unwrap().1.to_string()
    }
}

pub async fn start(app: &TestApp) -> Started {
    let response = app
        .http
        .post(app.url("/api/v1/login/telegram"))
        .header("user-agent", CHROME)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 120, "{body}");
    Started {
        id: body["login_id"].as_str().unwrap().to_string(),
        link: body["link"].as_str().unwrap().to_string(),
        poll_token: body["poll_token"].as_str().unwrap().to_string(),
        number: body["number"].as_u64().unwrap() as u8,
    }
}

/// The browser's wait: status and body.
async fn wait(
    app: &TestApp,
    id: &str,
    token: Option<&str>,
    seconds: u64,
) -> (StatusCode, Value, Vec<String>) {
    let mut request = app
        .http
        .get(app.url(&format!("/api/v1/login/telegram/{id}?wait={seconds}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    (status, response.json().await.unwrap(), cookies)
}

/// The confirmation the bot sent `user`: its text, the data of the button with `number`, and
/// of **Not me**.
pub async fn confirmation(app: &TestApp, user: i64, number: u8) -> (String, String, String) {
    let message = app
        .telegram
        .wait_for_message(user, "a login confirmation", |t| t.contains("Log in to"))
        .await;
    let rows = &message.body["reply_markup"]["inline_keyboard"];
    let numbers: Vec<String> = rows[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["callback_data"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers.len(), 3, "three numbers to pick from: {numbers:?}");
    let pick = numbers
        .iter()
        .find(|data| data.ends_with(&format!(":{number}")))
        .unwrap_or_else(|| panic!("{number} is not among {numbers:?}"))
        .clone();
    (
        message.text.clone(),
        pick,
        rows[1][0]["callback_data"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_linked_customer_taps_log_in_and_the_waiting_browser_is_logged_in_once() {
    let app = spawn_app_with(&[("SITE_NAME", "Bozor.uz")]).await;
    app.link(ANN, ANN_PHONE).await;
    let login = start(&app).await;
    assert!(
        login.link.starts_with(&format!(
            "https://t.me/{BOT_USERNAME}?start=login_{}_",
            login.id
        )),
        "{}",
        login.link
    );
    assert!(
        login.link.len() - login.link.find("start=").unwrap() - 6 <= 64,
        "Telegram's limit"
    );
    // Nothing in Redis could finish the login: neither the link's nonce nor the poll token.
    let nonce = login.payload().rsplit_once('_').unwrap().1.to_string();
    for (key, value) in app.redis_dump().await {
        assert!(
            !value.contains(&nonce) && !value.contains(&login.poll_token),
            "{key}: {value}"
        );
    }

    let waiting = {
        let (http, url, token) = (
            app.http.clone(),
            app.url(&format!("/api/v1/login/telegram/{}?wait=25", login.id)),
            login.poll_token.clone(),
        );
        tokio::spawn(async move { http.get(url).bearer_auth(token).send().await.unwrap() })
    };
    app.telegram
        .send_text(ANN, &format!("/start {}", login.payload()));
    let (text, approve, deny) = confirmation(&app, ANN, login.number).await;
    for part in ["Bozor.uz", "+99890*****33", "Chrome, Windows 10", "UTC"] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(
        approve.starts_with(&format!("login_pick:{}:", login.id)),
        "{approve}"
    );
    assert_eq!(deny, format!("login_no:{}", login.id));
    let before = app.user_row(ANN_PHONE).await.unwrap();
    assert!(!before.is_verified && before.last_login_at.is_none());

    app.telegram.press_button(ANN, &approve);
    let edited = app
        .telegram
        .wait_for_edit(ANN, "the confirmation answered", |t| {
            t.contains("logged in")
        })
        .await;
    assert!(edited.text.contains("Bozor.uz"), "{}", edited.text);
    assert!(edited.body.get("reply_markup").is_none(), "the buttons go");

    let response = waiting.await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("access_token=") && c.contains("HttpOnly")),
        "{cookies:?}"
    );
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["status"], "approved", "{session}");
    assert_eq!(session["token_type"], "Bearer");
    assert_eq!(session["user"]["phone"], ANN_PHONE, "{session}");
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let after = app.user_row(ANN_PHONE).await.unwrap();
    assert!(after.is_verified && after.last_login_at.is_some());
    assert!(
        app.metrics()
            .await
            .contains(r#"otpgram_logins_total{method="telegram"} 1"#),
        "counted as a Telegram login"
    );

    // Collected once: asking again gets nothing.
    let (status, again, cookies) = wait(&app, &login.id, Some(&login.poll_token), 0).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("expired"))
    );
    assert!(
        again.get("access_token").is_none() && cookies.is_empty(),
        "{again}"
    );
}

#[tokio::test]
async fn an_unlinked_customer_shares_the_phone_first_then_confirms() {
    let app = spawn_app_with(&[]).await;
    let login = start(&app).await;
    app.telegram
        .send_text(BOB, &format!("/start {}", login.payload()));
    let ask = app
        .telegram
        .wait_for_message(BOB, "the phone asked for", |t| {
            t.contains("link your phone first")
        })
        .await;
    assert_eq!(
        ask.body["reply_markup"]["keyboard"][0][0]["request_contact"],
        true
    );
    let (status, pending, _) = wait(&app, &login.id, Some(&login.poll_token), 0).await;
    assert_eq!(
        (status, pending["status"].as_str()),
        (StatusCode::OK, Some("pending"))
    );

    app.telegram.share_contact(BOB, Some(BOB), "998907654321");
    let (text, approve, _) = confirmation(&app, BOB, login.number).await;
    assert!(text.contains("+99890*****21"), "{text}");
    assert!(text.contains("the shop's website"), "no SITE_NAME: {text}");
    app.telegram.press_button(BOB, &approve);
    let (status, session, _) = wait(&app, &login.id, Some(&login.poll_token), 10).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(session["status"], "approved", "{session}");
    assert_eq!(session["user"]["phone"], "+998907654321");
}

#[tokio::test]
async fn not_me_refuses_the_login_for_good() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, ANN_PHONE).await;
    let login = start(&app).await;
    app.telegram
        .send_text(ANN, &format!("/start {}", login.payload()));
    let (_, approve, deny) = confirmation(&app, ANN, login.number).await;
    app.telegram.press_button(ANN, &deny);
    let (status, denied, cookies) = wait(&app, &login.id, Some(&login.poll_token), 10).await;
    assert_eq!(
        (status, denied["status"].as_str()),
        (StatusCode::OK, Some("denied"))
    );
    assert!(cookies.is_empty());
    app.telegram
        .wait_for_edit(ANN, "the refusal", |t| t.contains("Login refused"))
        .await;

    // A denied login cannot be approved afterwards.
    app.telegram.press_button(ANN, &approve);
    app.telegram
        .wait_for_edit(ANN, "already answered", |t| t.contains("already answered"))
        .await;
    let (_, still, _) = wait(&app, &login.id, Some(&login.poll_token), 0).await;
    assert_eq!(still["status"], "denied", "{still}");
    let user = app.user_row(ANN_PHONE).await.unwrap();
    assert!(user.last_login_at.is_none(), "nobody logged in");
}

#[tokio::test]
async fn an_expired_link_logs_nobody_in_and_says_so() {
    let app = spawn_app_with(&[("LOGIN_LINK_TTL_SECONDS", "2")]).await;
    app.link(ANN, ANN_PHONE).await;
    let response = app
        .http
        .post(app.url("/api/v1/login/telegram"))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 2);
    let (id, token) = (
        body["login_id"].as_str().unwrap(),
        body["poll_token"].as_str().unwrap(),
    );
    let payload = body["link"]
        .as_str()
        .unwrap()
        .split_once("?start=")
        .unwrap()
        .1
        .to_string();

    // The browser waits through the expiry and hears of it.
    let (status, expired, _) = wait(&app, id, Some(token), 10).await;
    assert_eq!(
        (status, expired["status"].as_str()),
        (StatusCode::OK, Some("expired"))
    );
    app.telegram.send_text(ANN, &format!("/start {payload}"));
    app.telegram
        .wait_for_message(ANN, "the expiry", |t| t.contains("expired or is not valid"))
        .await;
    // A made-up link gets the same answer.
    app.telegram.send_text(
        ANN,
        &format!("/start login_{}_{}", "A".repeat(16), "0".repeat(24)),
    );
    eventually(10, "a second expiry notice", || async {
        let notices = app.telegram.messages_to(ANN);
        (notices
            .iter()
            .filter(|m| m.text.contains("expired or is not valid"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    assert!(
        app.telegram
            .messages_to(ANN)
            .iter()
            .all(|m| !m.text.contains("Log in to"))
    );
}

#[tokio::test]
async fn a_link_opens_once_and_only_its_opener_may_answer() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, ANN_PHONE).await;
    app.link(BOB, "+998907654321").await;
    let login = start(&app).await;
    app.telegram
        .send_text(ANN, &format!("/start {}", login.payload()));
    let (_, approve, _) = confirmation(&app, ANN, login.number).await;

    // The same link again, by anyone: already used.
    for user in [ANN, BOB] {
        app.telegram
            .send_text(user, &format!("/start {}", login.payload()));
        app.telegram
            .wait_for_message(user, "already used", |t| t.contains("already used"))
            .await;
    }
    // Bob presses Ann's button (a forwarded message): not his to answer.
    app.telegram.press_button(BOB, &approve);
    app.telegram
        .wait_for_edit(BOB, "refused", |t| t.contains("expired or is not valid"))
        .await;
    let (_, state, _) = wait(&app, &login.id, Some(&login.poll_token), 0).await;
    assert_eq!(state["status"], "pending", "{state}");
}

#[tokio::test]
async fn the_deep_link_alone_collects_nothing() {
    let app = spawn_app_with(&[]).await;
    app.link(ANN, ANN_PHONE).await;
    let login = start(&app).await;
    app.telegram
        .send_text(ANN, &format!("/start {}", login.payload()));
    let (_, approve, _) = confirmation(&app, ANN, login.number).await;
    app.telegram.press_button(ANN, &approve);
    app.telegram
        .wait_for_edit(ANN, "approved", |t| t.contains("logged in"))
        .await;

    // Someone who saw the link (its id and nonce) but not the browser's poll token.
    let nonce = login.payload().rsplit_once('_').unwrap().1.to_string();
    for token in [
        None,
        Some(nonce.as_str()),
        Some(login.payload().as_str()),
        Some("x"),
    ] {
        let (status, body, cookies) = wait(&app, &login.id, token, 0).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
        assert_eq!(body["error"], "unauthorized");
        assert!(cookies.is_empty());
        let qr = app
            .http
            .get(app.url(&format!("/api/v1/login/telegram/{}/qr.svg", login.id)))
            .bearer_auth(token.unwrap_or_default())
            .send()
            .await
            .unwrap();
        assert_eq!(qr.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    // The browser still gets its session.
    let (status, session, _) = wait(&app, &login.id, Some(&login.poll_token), 0).await;
    assert_eq!(
        (status, session["status"].as_str()),
        (StatusCode::OK, Some("approved"))
    );
}

#[tokio::test]
async fn the_wait_outlasts_the_request_timeout() {
    // A long poll bounds itself; the 1 s request timeout would cut a 2 s wait into a 503.
    let app = spawn_app_with(&[("REQUEST_TIMEOUT_SECONDS", "1")]).await;
    let login = start(&app).await;
    let (status, body, _) = wait(&app, &login.id, Some(&login.poll_token), 2).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("pending")),
        "{body}"
    );
}

#[tokio::test]
async fn the_qr_code_is_the_link_for_the_browser_that_holds_the_token() {
    let app = spawn_app_with(&[]).await;
    let login = start(&app).await;
    let qr = |id: String, token: String| {
        app.http
            .get(app.url(&format!("/api/v1/login/telegram/{id}/qr.svg")))
            .bearer_auth(token)
            .send()
    };
    let response = qr(login.id.clone(), login.poll_token.clone())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let svg = response.text().await.unwrap();
    assert!(
        svg.contains("<svg") && svg.contains("<path"),
        "{}",
        &svg[..svg.len().min(200)]
    );
    let unknown = qr("A".repeat(16), login.poll_token.clone()).await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"], "login_not_found");
}

#[tokio::test]
async fn an_account_opening_link_after_link_is_slowed_down() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    app.link(ANN, ANN_PHONE).await;
    for _ in 0..6 {
        let login = start(&app).await;
        app.telegram
            .send_text(ANN, &format!("/start {}", login.payload()));
    }
    app.telegram
        .wait_for_message(ANN, "the limit", |t| t.contains("Too many login links"))
        .await;
    let confirmations = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| m.text.contains("Log in to"))
        .count();
    assert_eq!(confirmations, 5);
}

/// Two replicas in webhook mode: Telegram posts the customer's updates to one, the browser
/// waits on the other.
#[tokio::test]
async fn the_browser_may_wait_on_another_replica_than_the_bots() {
    let env = TestEnv::new().await;
    let webhook = [
        ("TELEGRAM_MODE", "webhook"),
        (
            "TELEGRAM_WEBHOOK_URL",
            "https://otp.shop.example/telegram/webhook",
        ),
        ("TELEGRAM_WEBHOOK_SECRET", "hook-secret_1"),
    ];
    let browser_side = spawn_app_in(env.clone(), &webhook).await;
    let bot_side = spawn_app_in(env, &webhook).await;
    let post = |update: Value| {
        bot_side
            .http
            .post(bot_side.url("/telegram/webhook"))
            .header("x-telegram-bot-api-secret-token", "hook-secret_1")
            .json(&update)
            .send()
    };
    let mut contact = text_update(ANN, "");
    contact["update_id"] = json!(1);
    contact["message"].as_object_mut().unwrap().remove("text");
    contact["message"]["contact"] =
        json!({ "phone_number": "998901112233", "first_name": "Ann", "user_id": ANN });
    assert_eq!(post(contact).await.unwrap().status(), StatusCode::OK);
    browser_side
        .telegram
        .wait_for_message(ANN, "linked", |t| t.contains("is linked"))
        .await;

    let login = start(&browser_side).await;
    let mut open = text_update(ANN, &format!("/start {}", login.payload()));
    open["update_id"] = json!(2);
    assert_eq!(post(open).await.unwrap().status(), StatusCode::OK);
    let (_, approve, _) = confirmation(&browser_side, ANN, login.number).await;
    let waiting = {
        let (http, url, token) = (
            browser_side.http.clone(),
            browser_side.url(&format!("/api/v1/login/telegram/{}?wait=25", login.id)),
            login.poll_token.clone(),
        );
        tokio::spawn(async move {
            let response = http.get(url).bearer_auth(token).send().await.unwrap();
            response.json::<Value>().await.unwrap()
        })
    };
    let mut press = json!({
        "update_id": 3,
        "callback_query": {
            "id": "cb1", "chat_instance": "1", "data": approve,
            "from": { "id": ANN, "is_bot": false, "first_name": "Ann" },
        }
    });
    press["callback_query"]["message"] = json!({
        "message_id": 7, "date": 0,
        "chat": { "id": ANN, "type": "private", "first_name": "Ann" },
        "from": { "id": 1, "is_bot": true, "first_name": "otpgram" },
        "text": "Log in to …?",
    });
    assert_eq!(post(press).await.unwrap().status(), StatusCode::OK);
    // (How soon the other replica hears of it is measured in `measure.rs`.)
    let session = waiting.await.unwrap();
    assert_eq!(session["status"], "approved", "{session}");
    assert_eq!(session["user"]["phone"], ANN_PHONE);
}

/// The review held 300 waits on one login from one address. Two browsers may wait on one login
/// at once, twenty waits on one address; a wait without the login's poll token takes no place.
#[tokio::test]
async fn waits_are_limited_per_login_and_per_address() {
    let app = spawn_app_with(&[]).await;
    let login = start(&app).await;
    let statuses = |waits: Vec<(String, String)>| {
        let app = &app;
        async move {
            let calls = waits
                .into_iter()
                .map(|(id, token)| async move { wait(app, &id, Some(&token), 3).await.0 });
            futures::future::join_all(calls).await
        }
    };
    // Strangers with made-up tokens are refused and hold nothing.
    let strangers = statuses(vec![(login.id.clone(), "made-up".into()); 4]).await;
    assert!(
        strangers.iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{strangers:?}"
    );

    let three = statuses(vec![(login.id.clone(), login.poll_token.clone()); 3]).await;
    let refused = three
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let waited = three.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!((waited, refused), (2, 1), "{three:?}");
    // The places are given back: the next two wait again.
    let two = statuses(vec![(login.id.clone(), login.poll_token.clone()); 2]).await;
    assert!(two.iter().all(|s| *s == StatusCode::OK), "{two:?}");

    let mut logins = Vec::new();
    for _ in 0..21 {
        let login = start(&app).await;
        logins.push((login.id, login.poll_token));
    }
    let many = statuses(logins).await;
    let refused = many
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 1, "{many:?}");
}

/// The phishing scenario: an attacker starts a login in their own browser and sends the link
/// (or shows its QR code) to a victim. The victim cannot see the attacker's page, so does not
/// know its number: a pick among three that is not it refuses the login for good, and the
/// attacker's browser gets nothing. A button the bot never showed (forged callback data, as a
/// modified client can send) approves nothing either. On the old code one careless "Log in"
/// handed the attacker the victim's session.
#[tokio::test]
async fn a_link_sent_to_a_victim_gives_the_attacker_nothing() {
    let app = spawn_app_with(&[("SITE_NAME", "Bozor.uz")]).await;
    app.link(ANN, ANN_PHONE).await;

    let attackers = start(&app).await;
    app.telegram
        .send_text(ANN, &format!("/start {}", attackers.payload()));
    let message = app
        .telegram
        .wait_for_message(ANN, "a login confirmation", |t| t.contains("Log in to"))
        .await;
    assert!(message.text.contains("Pick the number"), "{}", message.text);
    let wrong = message.body["reply_markup"]["inline_keyboard"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["callback_data"].as_str().unwrap().to_string())
        .find(|data| !data.ends_with(&format!(":{}", attackers.number)))
        .unwrap();
    app.telegram.press_button(ANN, &wrong);
    app.telegram
        .wait_for_edit(ANN, "the refusal", |t| t.contains("not the number"))
        .await;
    let (status, body, cookies) = wait(&app, &attackers.id, Some(&attackers.poll_token), 2).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("denied"))
    );
    assert!(
        body.get("access_token").is_none() && cookies.is_empty(),
        "{body}"
    );
    // The right number afterwards changes nothing: the login is over.
    let right = format!("login_pick:{}:{}", attackers.id, attackers.number);
    app.telegram.press_button(ANN, &right);
    app.telegram
        .wait_for_edit(ANN, "already answered", |t| t.contains("already answered"))
        .await;
    let (_, body, _) = wait(&app, &attackers.id, Some(&attackers.poll_token), 1).await;
    assert!(body.get("access_token").is_none(), "{body}");

    // Forged callback data: "Log in" without a number, on a login that shows one.
    let second = start(&app).await;
    app.telegram
        .send_text(ANN, &format!("/start {}", second.payload()));
    eventually(10, "the second confirmation", || async {
        app.telegram
            .messages_to(ANN)
            .iter()
            .any(|m| {
                m.body
                    .to_string()
                    .contains(&format!("login_pick:{}:", second.id))
            })
            .then_some(())
    })
    .await;
    app.telegram
        .press_button(ANN, &format!("login_ok:{}", second.id));
    let (_, body, cookies) = wait(&app, &second.id, Some(&second.poll_token), 5).await;
    assert_eq!(body["status"], "denied", "{body}");
    assert!(cookies.is_empty());
    assert!(
        !app.user_row(ANN_PHONE).await.unwrap().is_verified,
        "nobody logged in"
    );
}
