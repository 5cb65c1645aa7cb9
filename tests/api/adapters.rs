//! The older integration shapes, replayed as their integrations send them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const BOT_SECRET: &str = "legacy-bot-secret-0123";
const TG: i64 = 9901;

async fn legacy_app() -> TestApp {
    spawn_app_with(&[("BOT_SECRET", BOT_SECRET)]).await
}

async fn register(app: &TestApp, secret: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app.http.post(app.url("/register")).json(&body);
    if let Some(secret) = secret {
        request = request.header("X-Bot-Secret", secret);
    }
    request.send().await.unwrap()
}

async fn verify(app: &TestApp, telegram_id: i64, code: &str) -> reqwest::Response {
    app.post_json(
        "/verify",
        json!({ "telegram_id": telegram_id, "verification_code": code }),
    )
    .await
}

#[tokio::test]
async fn register_then_verify_by_telegram_id() {
    let app = legacy_app().await;
    let body = json!({ "telegram_id": TG, "phone_number": "+998901234567" });

    for secret in [None, Some("wrong-secret-0123456")] {
        let refused = register(&app, secret, body.clone()).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert!(refused.json::<Value>().await.unwrap()["detail"].is_string());
    }

    let sent = register(&app, Some(BOT_SECRET), body.clone()).await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert_eq!(
        sent.json::<Value>().await.unwrap(),
        json!({ "message": "Verification code sent" })
    );
    let code = app.nth_code_for(TG, 1).await;
    let message = app
        .telegram
        .messages_to(TG)
        .into_iter()
        .find(|m| m.text.contains(&code))
        .unwrap();
    assert!(
        message.text.contains("1 minute"),
        "this integration's codes live 60 s: {}",
        message.text
    );

    let wrong = verify(&app, TG, if code == "000000" { "111111" } else { "000000" }).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap(),
        json!({ "detail": "Invalid or expired code" })
    );

    let ok = verify(&app, TG, &code).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(
        ok.json::<Value>().await.unwrap(),
        json!({ "message": "User successfully verified" })
    );

    // Checked before the code.
    let again = verify(&app, TG, &code).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json::<Value>().await.unwrap(),
        json!({ "detail": "User already verified" })
    );

    // The same core: the user is verified in the database like any other.
    let user = app
        .post_json(
            "/api/v1/otp/verify",
            json!({ "phone": "+998901234567", "code": code }),
        )
        .await;
    assert_eq!(
        user.status(),
        StatusCode::BAD_REQUEST,
        "the code was single use across shapes"
    );
}

#[tokio::test]
async fn register_refuses_a_telegram_id_bound_to_another_phone() {
    let app = legacy_app().await;
    let first = register(
        &app,
        Some(BOT_SECRET),
        json!({ "telegram_id": TG, "phone_number": "+998901234567" }),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let other = register(
        &app,
        Some(BOT_SECRET),
        json!({ "telegram_id": TG, "phone_number": "+998901234568" }),
    )
    .await;
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    assert!(
        other.json::<Value>().await.unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("another phone")
    );
}

#[tokio::test]
async fn the_limits_hold_through_the_adapter() {
    let app = legacy_app().await;
    let body = json!({ "telegram_id": TG, "phone_number": "+998901234567" });
    assert_eq!(
        register(&app, Some(BOT_SECRET), body.clone())
            .await
            .status(),
        StatusCode::OK
    );
    let limited = register(&app, Some(BOT_SECRET), body).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().get("retry-after").is_some());
    // An unknown account gets the same answer as a wrong code.
    let unknown = verify(&app, 4242, "123456").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({ "detail": "Invalid or expired code" })
    );
}

#[tokio::test]
async fn without_a_bot_secret_the_adapter_is_not_there() {
    let app = crate::helpers::spawn_app().await;
    let refused = register(
        &app,
        Some(""),
        json!({ "telegram_id": TG, "phone_number": "+998901234567" }),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    // `/verify` takes no secret: without a bot to register accounts it would only answer
    // guesses, so it is not mounted either.
    let guess = app
        .post_json(
            "/verify",
            json!({ "telegram_id": TG, "verification_code": "123456" }),
        )
        .await;
    assert_eq!(guess.status(), StatusCode::NOT_FOUND);
    assert_eq!(guess.json::<Value>().await.unwrap()["error"], "not_found");
}

async fn bot_post(app: &TestApp, path: &str, body: Value) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .header("X-Bot-Secret", BOT_SECRET)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn chat_id_token_endpoints_issue_real_sessions() {
    let app = spawn_app_with(&[
        ("BOT_SECRET", BOT_SECRET),
        ("JWT_REFRESH_REUSE_GRACE_SECONDS", "0"),
    ])
    .await;
    let registered = bot_post(
        &app,
        "/api/auth/telegram-register/",
        json!({ "telegram_chat_id": TG, "phone_number": "+998901234567", "language": "ru" }),
    )
    .await;
    assert_eq!(registered.status(), StatusCode::OK);
    let body: Value = registered.json().await.unwrap();
    assert_eq!(body["user"]["phone_number"], "+998901234567");
    assert_eq!(body["user"]["language"], "ru");
    assert_eq!(body["user"]["is_active"], true);
    assert_eq!(body["user"]["id"].as_str().unwrap().len(), 36, "a UUID");
    // The access token is an otpgram session like any other.
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(body["access"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);

    let login = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": TG }),
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    let login: Value = login.json().await.unwrap();
    assert!(login["access"].is_string() && login["refresh"].is_string());
    let mismatch = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": TG, "phone_number": "+998901234568" }),
    )
    .await;
    assert_eq!(mismatch.status(), StatusCode::NOT_FOUND);

    let known: Value = bot_post(
        &app,
        "/api/auth/telegram-auth/",
        json!({ "telegram_chat_id": TG }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(known["authenticated"], true);
    assert_eq!(known["user"]["phone_number"], "+998901234567");
    let unknown: Value = bot_post(
        &app,
        "/api/auth/telegram-auth/",
        json!({ "telegram_chat_id": 1 }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(unknown, json!({ "authenticated": false }));

    // Refresh needs no bot secret; it rotates, and a reused token is refused.
    let first = login["refresh"].as_str().unwrap();
    let rotated = app
        .post_json("/api/token/refresh/", json!({ "refresh": first }))
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert!(rotated["access"].is_string());
    assert_ne!(rotated["refresh"], login["refresh"]);
    let reused = app
        .post_json("/api/token/refresh/", json!({ "refresh": first }))
        .await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        reused.json::<Value>().await.unwrap(),
        json!({ "detail": "Given token not valid for any token type", "code": "token_not_valid" })
    );
    let garbage = app
        .post_json("/api/token/refresh/", json!({ "refresh": "nope" }))
        .await;
    assert_eq!(garbage.status(), StatusCode::UNAUTHORIZED);
}

/// OvozPay's client logs a new chat in with the phone its bot collected, before any register
/// call: the drop-in makes the account (the bot vouches), as the original did. The review got
/// `404` here. A phone that is another account's stays refused, with no tokens.
#[tokio::test]
async fn telegram_login_registers_a_new_chat_with_a_free_phone() {
    let app = legacy_app().await;
    let (new_chat, phone) = (TG + 100, "+998901234590");
    let first = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": new_chat, "phone_number": phone }),
    )
    .await;
    assert_eq!(first.status(), StatusCode::OK);
    let body: Value = first.json().await.unwrap();
    assert!(body["access"].is_string() && body["refresh"].is_string());
    assert_eq!(body["user"]["phone_number"], phone);
    assert_eq!(body["user"]["is_active"], true);
    let row = app.user_row(phone).await.unwrap();
    assert_eq!(row.telegram_id, Some(new_chat));
    // Logged in again by the chat alone.
    let again = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": new_chat }),
    )
    .await;
    assert_eq!(again.status(), StatusCode::OK);

    // Another chat naming that phone is refused, and gets nothing.
    let thief = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": new_chat + 1, "phone_number": phone }),
    )
    .await;
    assert_eq!(thief.status(), StatusCode::CONFLICT);
    let body: Value = thief.json().await.unwrap();
    assert!(body.get("access").is_none(), "{body}");
    assert_eq!(
        app.user_row(phone).await.unwrap().telegram_id,
        Some(new_chat)
    );
    // An unknown chat with no phone is still unknown.
    let unknown = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": new_chat + 2 }),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn chat_id_endpoints_need_the_bot_secret() {
    let app = legacy_app().await;
    for path in [
        "/api/auth/telegram-register/",
        "/api/auth/telegram-login/",
        "/api/auth/telegram-auth/",
    ] {
        let response = app
            .post_json(
                path,
                json!({ "telegram_chat_id": TG, "phone_number": "+998901234567" }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

#[tokio::test]
async fn a_shops_own_bot_creates_codes_and_the_site_registers_with_them() {
    let app = legacy_app().await;
    let create = |secret: &'static str, phone: &'static str| {
        app.post_json(
            "/api/v1/auth/telegram/otp/create/",
            json!({ "secret_key": secret, "telegram_id": TG, "phone_number": phone }),
        )
    };
    let refused = create("wrong-secret-0123456", "+998901234567").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({ "success": false, "error": "Unauthorized" })
    );
    let short = create(BOT_SECRET, "12345678").await;
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    assert_eq!(short.json::<Value>().await.unwrap()["success"], false);

    let created = create(BOT_SECRET, "+998901234567").await;
    assert_eq!(created.status(), StatusCode::OK);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["success"], true);
    assert_eq!(created["remaining_seconds"], 600);
    assert!(chrono::DateTime::parse_from_rfc3339(created["expires_at"].as_str().unwrap()).is_ok());
    let code = created["code"].as_str().unwrap().to_string();
    assert!(
        app.telegram
            .messages_to(TG)
            .iter()
            .all(|m| !m.text.contains(&code)),
        "the calling bot delivers it"
    );
    let wrong = app
        .post_json(
            "/api/v1/auth/register/telegram/",
            json!({ "phone": "+998901234567", "code": "000000" }),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(wrong.json::<Value>().await.unwrap()["success"], false);

    let registered = app
        .post_json(
            "/api/v1/auth/register/telegram/",
            json!({ "phone": "+998901234567", "code": code }),
        )
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let cookies: Vec<String> = registered
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let attributes = |name: &str| -> Vec<String> {
        let cookie = cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .expect(name);
        cookie.split("; ").skip(1).map(str::to_string).collect()
    };
    assert!(
        attributes("access_token").contains(&"Path=/".to_string()),
        "{cookies:?}"
    );
    assert!(
        attributes("refresh_token").contains(&"Path=/api/v1/auth/refresh/".to_string()),
        "{cookies:?}"
    );
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );
    let body: Value = registered.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["user"]["phone_number"], "+998901234567");
    assert_eq!(body["data"]["user"]["telegram_id"], TG);
    let refresh = body["data"]["tokens"]["refresh"]
        .as_str()
        .unwrap()
        .to_string();

    // Single use.
    let reused = app
        .post_json(
            "/api/v1/auth/register/telegram/",
            json!({ "phone": "+998901234567", "code": code }),
        )
        .await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);

    let rotated = app
        .post_json("/api/v1/auth/refresh/", json!({ "refresh": refresh }))
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert!(rotated["access"].is_string() && rotated["refresh"].is_string());
    // From the cookie alone.
    let by_cookie = app
        .http
        .post(app.url("/api/v1/auth/refresh/"))
        .header(
            "cookie",
            format!("refresh_token={}", rotated["refresh"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_older_shape_takes_a_telegram_id_written_as_a_string() {
    let app = legacy_app().await;
    // The shop's own bot, as its client sends it: the id as a string of digits.
    let created = app
        .post_json(
            "/api/v1/auth/telegram/otp/create/",
            json!({ "secret_key": BOT_SECRET, "telegram_id": "9911", "phone_number": "+998901234511" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::OK);
    assert_eq!(created.json::<Value>().await.unwrap()["success"], true);

    let registered = register(
        &app,
        Some(BOT_SECRET),
        json!({ "telegram_id": "9912", "phone_number": "+998901234512" }),
    )
    .await;
    assert_eq!(registered.status(), StatusCode::OK);
    let code = app.nth_code_for(9912, 1).await;
    let verified = app
        .post_json(
            "/verify",
            json!({ "telegram_id": "9912", "verification_code": code }),
        )
        .await;
    assert_eq!(verified.status(), StatusCode::OK);

    let tokens = bot_post(
        &app,
        "/api/auth/telegram-register/",
        json!({ "telegram_chat_id": "9913", "phone_number": "+998901234513" }),
    )
    .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let login = bot_post(
        &app,
        "/api/auth/telegram-login/",
        json!({ "telegram_chat_id": "9913", "phone_number": "+998901234513" }),
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    let known = bot_post(
        &app,
        "/api/auth/telegram-auth/",
        json!({ "telegram_chat_id": "9913" }),
    )
    .await;
    assert_eq!(known.json::<Value>().await.unwrap()["authenticated"], true);
    // A group's id keeps its minus sign.
    let group = bot_post(
        &app,
        "/api/auth/telegram-auth/",
        json!({ "telegram_chat_id": "-1001234567890" }),
    )
    .await;
    assert_eq!(group.json::<Value>().await.unwrap()["authenticated"], false);
}

#[tokio::test]
async fn an_id_that_is_not_one_is_refused_naming_the_field() {
    let app = legacy_app().await;
    let chat = bot_post(
        &app,
        "/api/auth/telegram-auth/",
        json!({ "telegram_chat_id": "12ab" }),
    )
    .await;
    assert_eq!(chat.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = chat.json::<Value>().await.unwrap()["detail"].to_string();
    assert!(detail.contains("telegram_chat_id"), "{detail}");

    let created = app
        .post_json(
            "/api/v1/auth/telegram/otp/create/",
            json!({ "secret_key": BOT_SECRET, "telegram_id": "1.5", "phone_number": "+998901234511" }),
        )
        .await;
    assert_eq!(created.status(), StatusCode::BAD_REQUEST);
    let body: Value = created.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(
        body["error"].as_str().unwrap().contains("telegram_id"),
        "{body}"
    );

    let registered = register(
        &app,
        Some(BOT_SECRET),
        json!({ "telegram_id": "", "phone_number": "+998901234512" }),
    )
    .await;
    assert_eq!(registered.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        registered.json::<Value>().await.unwrap()["detail"]
            .to_string()
            .contains("telegram_id")
    );
}

#[tokio::test]
async fn the_shop_bots_new_code_button_gets_a_new_code_each_time_within_a_per_minute_cap() {
    let app = spawn_app_with(&[
        ("BOT_SECRET", BOT_SECRET),
        ("LEGACY_BOT_CODES_PER_MINUTE", "4"),
    ])
    .await;
    let create = || {
        app.post_json(
            "/api/v1/auth/telegram/otp/create/",
            json!({ "secret_key": BOT_SECRET, "telegram_id": TG, "phone_number": "+998901234567" }),
        )
    };
    // The customer presses "New code" three times in a row, within a few seconds.
    let mut codes = Vec::new();
    for press in 1..=3 {
        let response = create().await;
        assert_eq!(response.status(), StatusCode::OK, "press {press}");
        codes.push(
            response.json::<Value>().await.unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    // Only the newest code works; older ones died when it was made.
    let register = |code: String| {
        app.post_json(
            "/api/v1/auth/register/telegram/",
            json!({ "phone": "+998901234567", "code": code }),
        )
    };
    if codes[0] != codes[2] {
        assert_eq!(
            register(codes[0].clone()).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        register(codes[2].clone()).await.status(),
        StatusCode::CREATED
    );
    // The per-account cap: the fourth code of the minute is the last.
    assert_eq!(create().await.status(), StatusCode::OK);
    let capped = create().await;
    assert_eq!(capped.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(capped.headers().contains_key("retry-after"));
    assert_eq!(capped.json::<Value>().await.unwrap()["success"], false);
}
