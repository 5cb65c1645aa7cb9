//! The Telegram sandbox, driven over HTTP exactly as its page drives it: a pretend user links a
//! phone with the real bot, the site asks for a code, the code arrives in the sandbox chat, and
//! the login completes.

use otpgram::testing::BOT_ID;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code_in, eventually, spawn_app, spawn_app_with};

/// An app without a bot token: development's sandbox mode.
async fn sandbox_app() -> TestApp {
    spawn_app_with(&[("TELEGRAM_BOT_TOKEN", "")]).await
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post_json(path, body).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Waits for a message from the bot in `chat` that `wanted` accepts.
async fn bot_message(
    app: &TestApp,
    chat: i64,
    what: &str,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    eventually(10, what, || async {
        app.sandbox_chat(chat)
            .await
            .into_iter()
            .find(|m| m["from"] == BOT_ID && wanted(m))
    })
    .await
}

#[tokio::test]
async fn a_pretend_user_links_a_phone_and_logs_in_with_the_code_from_the_sandbox_chat() {
    let app = sandbox_app().await;
    let (status, user) = post(
        &app,
        "/sandbox/api/users",
        json!({ "first_name": "Aziza", "last_name": "Karimova", "phone": "+998 90 123 45 67", "language": "en" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let id = user["id"].as_i64().unwrap();
    assert_eq!(user["phone"], "+998901234567");

    // /start: the real bot answers with the share-phone keyboard.
    let (status, _) = post(
        &app,
        &format!("/sandbox/api/chats/{id}/messages"),
        json!({ "from": id, "text": "/start" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let welcome = bot_message(&app, id, "the welcome", |m| {
        m["reply_markup"]["keyboard"][0][0]["request_contact"] == true
    })
    .await;
    assert!(
        welcome["text"].as_str().unwrap().contains("phone"),
        "{welcome}"
    );

    // Share phone number: the bot links it.
    let (status, _) = post(&app, "/sandbox/api/contact", json!({ "from": id })).await;
    assert_eq!(status, StatusCode::CREATED);
    bot_message(&app, id, "the linked answer", |m| {
        m["text"].as_str().unwrap_or_default().contains("is linked")
    })
    .await;
    let row = app.user_row("+998901234567").await.expect("a user row");
    assert_eq!(row.telegram_id, Some(id));
    assert_eq!(row.last_name.as_deref(), Some("Karimova"));

    // The site asks for a code; it arrives in the sandbox chat, formatted.
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );
    let message = bot_message(&app, id, "the code", |m| {
        m["text"].as_str().is_some_and(|t| code_in(t).is_some())
    })
    .await;
    assert_eq!(message["parse_mode"], "HTML");
    let code = code_in(message["text"].as_str().unwrap()).unwrap();
    let verified = app.verify("+998901234567", &code).await;
    assert_eq!(verified.status(), StatusCode::OK);
    let session: Value = verified.json().await.unwrap();
    assert_eq!(session["user"]["telegram_id"], id);

    // The inline "Get login code" button under the linked answer works too.
    let linked = bot_message(&app, id, "the linked answer", |m| {
        m["text"].as_str().unwrap_or_default().contains("is linked")
    })
    .await;
    let data = linked["reply_markup"]["inline_keyboard"][0][0]["callback_data"].clone();
    let before = app.sandbox_chat(id).await.len();
    let (status, answer) = post(
        &app,
        &format!("/sandbox/api/chats/{id}/press"),
        json!({ "from": id, "message_id": linked["id"], "data": data }),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    eventually(10, "a second code", || async {
        let all = app.sandbox_chat(id).await;
        (all.len() > before
            && all[before..].iter().any(|m| {
                m["text"]
                    .as_str()
                    .is_some_and(|t| code_in(t).is_some_and(|c| c != code))
            }))
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_sandbox_refuses_what_a_page_should_not_do() {
    let app = sandbox_app().await;
    let (status, body) = post(
        &app,
        "/sandbox/api/users",
        json!({ "first_name": "Bob", "phone": "12" }),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_phone");
    let (status, body) = post(
        &app,
        "/sandbox/api/chats/424242/messages",
        json!({ "from": 424242, "text": "/start" }),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "unknown_user");
    // The Bot API answers only the sandbox's own token.
    let stranger = app
        .http
        .post(app.url("/sandbox/telegram/bot123:wrong/getMe"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    // The page is served from the binary.
    let page = app.http.get(app.url("/sandbox")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Telegram sandbox"));
}

#[tokio::test]
async fn with_a_bot_token_there_is_no_sandbox() {
    let app = spawn_app().await;
    for path in [
        "/sandbox",
        "/sandbox/api/world",
        "/sandbox/assets/sandbox.js",
    ] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let bot_api = app
        .http
        .post(app.url("/sandbox/telegram/bot5000000001:sandbox/getMe"))
        .send()
        .await
        .unwrap();
    assert_eq!(bot_api.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_pretend_group_hears_about_orders_after_its_admin_links_the_shop() {
    let app = sandbox_app().await;
    let (_, admin) = post(
        &app,
        "/sandbox/api/users",
        json!({ "first_name": "Owner", "phone": "+998901112233" }),
    )
    .await;
    let (_, member) = post(
        &app,
        "/sandbox/api/users",
        json!({ "first_name": "Clerk", "phone": "+998901112244" }),
    )
    .await;
    let (admin, member) = (
        admin["id"].as_i64().unwrap(),
        member["id"].as_i64().unwrap(),
    );
    let (status, group) = post(
        &app,
        "/sandbox/api/groups",
        json!({ "title": "Shop staff", "admin": admin }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{group}");
    let group = group["id"].as_i64().unwrap();
    assert!(group < 0, "group ids are negative, as Telegram's");
    let (status, _) = post(
        &app,
        &format!("/sandbox/api/groups/{group}/members"),
        json!({ "user": member }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (shop, token) = app.create_shop("Tea House").await;
    // A member who is not an admin cannot link the group; its admin can.
    let path = format!("/sandbox/api/chats/{group}/messages");
    let link = |from: i64| {
        post(
            &app,
            &path,
            json!({ "from": from, "text": format!("/link {token}") }),
        )
    };
    link(member).await;
    bot_message(&app, group, "the admins-only answer", |m| {
        m["text"].as_str().unwrap_or_default().contains("admin")
    })
    .await;
    link(admin).await;
    bot_message(&app, group, "the subscription", |m| {
        m["text"].as_str().unwrap_or_default().contains("Tea House")
    })
    .await;
    // The token was a secret: the bot deleted the message that carried it.
    assert!(
        app.sandbox_chat(group)
            .await
            .iter()
            .filter(|m| m["text"].as_str().unwrap_or_default().contains(&token))
            .all(|m| m["deleted"] == true)
    );

    let order = json!({
        "shop_id": shop, "order_id": "A-1", "total": "125000", "currency": "UZS",
        "customer": { "name": "Aziza" }, "address": "Tashkent",
    });
    let accepted = app
        .service(reqwest::Method::POST, "/api/v1/notifications/orders")
        .json(&order)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let notice = bot_message(&app, group, "the order", |m| {
        m["text"].as_str().unwrap_or_default().contains("A-1")
    })
    .await;
    assert_eq!(notice["parse_mode"], "HTML");
}

#[tokio::test]
async fn a_pretend_user_who_never_opened_the_bot_gets_the_code_from_verification_codes() {
    use otpgram::testing::{VERIFICATION_CHATS, VERIFICATION_CODES_ID};
    let app = sandbox_app().await;
    let (_, user) = post(
        &app,
        "/sandbox/api/users",
        json!({ "first_name": "Dilnoza", "phone": "+998 90 765 43 21" }),
    )
    .await;
    let id = user["id"].as_i64().unwrap();
    let response = app.request_code("+998907654321").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let chat = VERIFICATION_CHATS + id;
    let message = eventually(10, "the Gateway's code", || async {
        app.sandbox_chat(chat)
            .await
            .into_iter()
            .find(|m| m["from"] == VERIFICATION_CODES_ID)
    })
    .await;
    let text = message["text"].as_str().unwrap();
    let code: String = text.chars().filter(char::is_ascii_digit).take(6).collect();
    assert!(text.starts_with("Verification code: "), "{text}");
    // Nothing in the bot's chat: the customer never opened it.
    assert!(app.sandbox_chat(id).await.is_empty());
    let world = app.get_json("/sandbox/api/world").await;
    assert_eq!(
        world["verification_chats"],
        json!([{ "user": id, "chat": chat }])
    );
    assert_eq!(
        app.verify("+998907654321", &code).await.status(),
        StatusCode::OK
    );
}
