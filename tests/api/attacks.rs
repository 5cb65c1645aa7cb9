//! Login tried as an attacker would: nobody can lock a customer out, and nobody can tell from
//! the answers which phones are customers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, eventually, spawn_app_with};

const ANN: i64 = 4001;
const PHONE: &str = "+998901234567";
const STRANGER: &str = "+998901234568";

/// A code that is not `code` (and so almost surely not the live one).
fn other_than(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// Makes wrong guesses on the site until `PHONE`'s codes lock (ten failures by default: two site
/// codes burned by five wrong guesses each).
async fn lock_by_guessing(app: &TestApp) {
    for _ in 0..2 {
        assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
        for _ in 0..5 {
            assert_eq!(
                app.verify(PHONE, "000000").await.status(),
                StatusCode::BAD_REQUEST
            );
        }
    }
    assert_eq!(
        app.request_code(PHONE).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the site's codes are locked"
    );
}

#[tokio::test]
async fn guesses_for_a_phone_without_a_live_code_lock_nobody_out() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    app.link(ANN, PHONE).await;
    // More wrong guesses than the hourly failure budget, with no code ever asked for.
    for attempt in 1..=12 {
        let response = app.verify(PHONE, "123456").await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "guess {attempt}"
        );
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_code"
        );
    }
    // The customer asks on the site, as every day, and gets in.
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let code = app.nth_code_for(ANN, 1).await;
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_phone_locked_by_guessing_on_the_site_still_lets_its_owner_in() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ("OTP_RESEND_COOLDOWN_SECONDS", "0"),
    ])
    .await;
    app.link(ANN, PHONE).await;
    lock_by_guessing(&app).await;
    let site_codes = 2;

    // The owner asks the bot, inside Telegram: the code comes and works despite the lock.
    app.telegram.press_button(ANN, "login_code");
    let code = app.nth_code_for(ANN, site_codes + 1).await;
    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::OK);

    // An attacker's guesses still burn such a code after OTP_MAX_ATTEMPTS.
    app.telegram.press_button(ANN, "login_code");
    let code = app.nth_code_for(ANN, site_codes + 2).await;
    for _ in 0..5 {
        assert_eq!(
            app.verify(PHONE, other_than(&code)).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    let burned = app.verify(PHONE, &code).await;
    assert_eq!(burned.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        burned.json::<Value>().await.unwrap()["error"],
        "too_many_attempts"
    );
}

#[tokio::test]
async fn the_owner_hears_once_in_their_language_when_their_phone_gets_locked() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ("OTP_RESEND_COOLDOWN_SECONDS", "0"),
    ])
    .await;
    app.link(ANN, PHONE).await;
    app.telegram.send_text(ANN, "/language ru");
    app.telegram
        .wait_for_message(ANN, "the language", |t| t.contains("русский"))
        .await;
    lock_by_guessing(&app).await;
    let notice = app
        .telegram
        .wait_for_message(ANN, "the lock notice", |t| t.contains("подбирает"))
        .await;
    assert!(notice.text.contains("+99890*****67"), "{}", notice.text);
    assert!(!notice.text.contains(PHONE), "{}", notice.text);
    assert_eq!(
        notice.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "login_code",
        "the notice carries the button that gets the owner in"
    );

    // More guesses while the lock holds, on the site's code and on one from the bot.
    assert_eq!(
        app.verify(PHONE, "000000").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    app.telegram.press_button(ANN, "login_code");
    let code = app.nth_code_for(ANN, 3).await;
    for _ in 0..5 {
        app.verify(PHONE, other_than(&code)).await;
    }
    // By the time a later message arrives, a second notice would have too.
    app.telegram.press_button(ANN, "login_code");
    app.nth_code_for(ANN, 4).await;
    let notices = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| m.text.contains("подбирает"))
        .count();
    assert_eq!(notices, 1);
}

/// What a caller sees of one answer.
#[derive(Debug, PartialEq)]
struct Seen {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

async fn seen(response: reqwest::Response) -> Seen {
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    Seen {
        status: response.status(),
        retry_after,
        body: response.json().await.unwrap(),
    }
}

/// The code record of a phone as Redis holds it: wrong guesses, burned or not, and origin.
async fn code_record(app: &TestApp, phone: &str) -> (String, String, String) {
    use fred::prelude::HashesInterface;
    let key = format!("{}{{p:{phone}}}:otp", app.prefix);
    let fields: std::collections::HashMap<String, String> = app.redis.hgetall(&key).await.unwrap();
    let burned = if fields.get("h").map(String::as_str) == Some("burned") {
        "burned"
    } else {
        "live"
    };
    (
        fields.get("a").cloned().unwrap_or_default(),
        burned.to_string(),
        fields.get("o").cloned().unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_linked_and_an_unlinked_phone_answer_every_step_alike() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    app.link(ANN, PHONE).await;
    // Each step is made for both phones back to back, then their answers are compared.
    let mut steps: Vec<(&str, [Seen; 2])> = Vec::new();
    macro_rules! both {
        ($what:expr, $call:ident $(, $arg:expr)*) => {{
            let linked = seen(app.$call(PHONE $(, $arg)*).await).await;
            let unlinked = seen(app.$call(STRANGER $(, $arg)*).await).await;
            steps.push(($what, [linked, unlinked]));
        }};
    }
    both!("a code request", request_code);
    both!("a request within the cooldown", request_code);
    for _ in 0..6 {
        both!("a wrong guess", verify, "000000");
    }
    both!("another request within the cooldown", request_code);
    assert_eq!(
        code_record(&app, PHONE).await,
        code_record(&app, STRANGER).await
    );
    for (what, [linked, unlinked]) in &steps {
        assert_eq!(linked.status, unlinked.status, "{what}");
        assert_eq!(linked.body, unlinked.body, "{what}");
        // Both values come from the TTL of keys set a few milliseconds apart.
        match (linked.retry_after, unlinked.retry_after) {
            (Some(a), Some(b)) => assert!(a.abs_diff(b) <= 1, "{what}: {a} vs {b}"),
            (a, b) => assert_eq!(a, b, "{what}"),
        }
    }
    // The sixth wrong guess found a burned code for both.
    assert_eq!(steps[7].1[0].status, StatusCode::TOO_MANY_REQUESTS);

    // Nothing on /metrics tells the two apart either.
    let metrics = app.metrics().await;
    assert!(!metrics.contains(r#"kind="pending""#), "{metrics}");
}

#[tokio::test]
async fn asking_for_an_unlinked_phone_needs_no_database_on_the_way() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    app.link(ANN, PHONE).await;
    // With the database gone, both answers come from Redis alone, and so are the same.
    app.state.database().close_by_ref().await.unwrap();
    let linked = seen(app.request_code(PHONE).await).await;
    let unlinked = seen(app.request_code(STRANGER).await).await;
    assert_eq!(linked.status, StatusCode::ACCEPTED);
    assert_eq!(linked, unlinked);
}

#[tokio::test]
async fn a_code_asked_for_while_redis_forgot_the_binding_still_arrives() {
    use fred::prelude::KeysInterface;
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    app.link(ANN, PHONE).await;
    let binding = format!("{}{{p:{PHONE}}}:tg", app.prefix);
    let _: () = app.redis.del(&binding).await.unwrap();
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    // The database remembers the link: the binding is warm again and the code goes out.
    let code = app.nth_code_for(ANN, 1).await;
    eventually(5, "the warmed binding", || async {
        app.redis
            .get::<Option<String>, _>(&binding)
            .await
            .unwrap()
            .filter(|v| v.starts_with(&ANN.to_string()))
    })
    .await;
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

const BOT_SECRET: &str = "test-bot-secret-0123456789";
const BOB: i64 = 4002;

/// A code from the older shape's `otp/create`, for the shop's own bot to deliver.
async fn bot_made_code(app: &TestApp, telegram_id: i64, phone: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/telegram/otp/create/",
        serde_json::json!({ "secret_key": BOT_SECRET, "telegram_id": telegram_id, "phone_number": phone }),
    )
    .await
}

#[tokio::test]
async fn a_cross_site_form_post_cannot_log_a_visitor_into_an_attackers_account() {
    let app = spawn_app_with(&[("BOT_SECRET", BOT_SECRET)]).await;
    // The attacker's own account and a fresh code for it.
    let created: Value = bot_made_code(&app, ANN, PHONE).await.json().await.unwrap();
    let code = created["code"].as_str().unwrap();
    let body = serde_json::json!({ "phone": PHONE, "code": code }).to_string();
    // A form on the attacker's site posts it as text/plain: no CORS preflight is needed.
    let forged = app
        .http
        .post(app.url("/api/v1/auth/register/telegram/"))
        .header("content-type", "text/plain")
        .header("origin", "https://attacker.example")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(forged.headers().get("set-cookie").is_none());
    assert_eq!(forged.json::<Value>().await.unwrap()["success"], false);
    // The same post as JSON but from the attacker's origin.
    let foreign = app
        .http
        .post(app.url("/api/v1/auth/register/telegram/"))
        .header("content-type", "application/json")
        .header("origin", "https://attacker.example")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert!(foreign.headers().get("set-cookie").is_none());
    // Nothing was consumed: the code still works for a request the service accepts.
    let own = app
        .http
        .post(app.url("/api/v1/auth/register/telegram/"))
        .header("content-type", "application/json")
        .header("origin", app.address.clone())
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn session_endpoints_refuse_other_sites_and_form_bodies() {
    let app = spawn_app_with(&[("CORS_ALLOWED_ORIGINS", "https://shop.example")]).await;
    let code = app.linked_code(ANN, PHONE).await;
    let verify = |origin: &'static str| {
        app.http
            .post(app.url("/api/v1/otp/verify"))
            .header("origin", origin)
            .json(&serde_json::json!({ "phone": PHONE, "code": code }))
            .send()
    };
    let foreign = verify("https://attacker.example").await.unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        foreign.json::<Value>().await.unwrap()["error"],
        "forbidden_origin"
    );
    // The listed shop's pages may log their visitors in; the code was not used up.
    let session: Value = {
        let ok = verify("https://shop.example").await.unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        ok.json().await.unwrap()
    };
    let refresh_token = session["refresh_token"].as_str().unwrap();
    let cookie = format!("refresh_token={refresh_token}");

    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let form = app
            .http
            .post(app.url(path))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("refresh_token=x")
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path}");
        let foreign = app
            .http
            .post(app.url(path))
            .header("cookie", &cookie)
            .header("origin", "https://attacker.example")
            .send()
            .await
            .unwrap();
        assert_eq!(foreign.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // A POST without a body, from the service's own pages, still refreshes with the cookie.
    let own = app
        .http
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", &cookie)
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_older_shapes_never_take_a_phone_linked_to_another_account() {
    use entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let app = spawn_app_with(&[("BOT_SECRET", BOT_SECRET)]).await;
    app.link(ANN, PHONE).await;

    let create = bot_made_code(&app, BOB, PHONE).await;
    assert_eq!(create.status(), StatusCode::CONFLICT);
    let body: Value = create.json().await.unwrap();
    assert_eq!(body["success"], false);
    assert!(body.get("code").is_none());
    for (path, body) in [
        (
            "/api/auth/telegram-register/",
            serde_json::json!({ "telegram_chat_id": BOB, "phone_number": PHONE }),
        ),
        (
            "/register",
            serde_json::json!({ "telegram_id": BOB, "phone_number": PHONE }),
        ),
    ] {
        let response = app
            .http
            .post(app.url(path))
            .header("x-bot-secret", BOT_SECRET)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CONFLICT, "{path}");
        let body: Value = response.json().await.unwrap();
        assert!(body["detail"].is_string(), "{path}: {body}");
        assert!(body.get("access").is_none(), "{path}: {body}");
    }
    // The phone stays where it was, and its owner's codes still go to the owner.
    let row = user::Entity::find()
        .filter(user::Column::Phone.eq(PHONE))
        .one(app.state.database())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.telegram_id, Some(ANN));
    assert!(app.telegram.messages_to(BOB).is_empty());
    // The same account may still be vouched for.
    assert_eq!(
        bot_made_code(&app, ANN, PHONE).await.status(),
        StatusCode::OK
    );
}
