//! The main flow: request a code on the site, receive it in Telegram, verify, get a session.

use entity::user;
use futures::future::join_all;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::helpers::{code_in, eventually, spawn_app, spawn_app_with};

const ANN: i64 = 2001;
const PHONE: &str = "+998901234567";

#[tokio::test]
async fn a_linked_customer_logs_in_with_the_code_from_the_bot() {
    let app = spawn_app().await;
    app.link(ANN, PHONE).await;

    // The site may send the phone as the customer typed it.
    let response = app.request_code("90 123-45-67").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "sent", "expires_in": 600, "resend_after": 60})
    );

    let message = app
        .telegram
        .wait_for_message(ANN, "the code", |t| code_in(t).is_some())
        .await;
    assert_eq!(message.body["parse_mode"], "HTML");
    assert!(message.text.contains("10 minutes") && message.text.contains("Never share"));
    let code = code_in(&message.text).unwrap();
    assert_eq!(code.len(), 6);

    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["user"]["phone"], PHONE);
    assert_eq!(body["user"]["telegram_id"], ANN);
    assert_eq!(body["user"]["is_verified"], true);
    assert!(body["user"]["created_at"].is_string());
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();

    let access_cookie = cookies
        .iter()
        .find(|c| c.starts_with("access_token="))
        .expect("access cookie");
    assert!(access_cookie.contains(access));
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(access_cookie.contains(attr), "{access_cookie}");
    }
    let refresh_cookie = cookies
        .iter()
        .find(|c| c.starts_with("refresh_token="))
        .expect("refresh cookie");
    assert!(refresh_cookie.contains(refresh));
    for attr in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/api/v1/auth"] {
        assert!(refresh_cookie.contains(attr), "{refresh_cookie}");
    }

    let row = user::Entity::find()
        .filter(user::Column::Phone.eq(PHONE))
        .one(app.state.database())
        .await
        .unwrap()
        .unwrap();
    assert!(row.is_verified);
    assert!(row.verified_at.is_some());
    assert!(row.last_login_at.is_some());
    assert_eq!(body["user"]["id"], row.id.to_string());

    // The access token works.
    let me = app
        .http
        .get(app.url("/api/v1/me"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["user"]["phone"], PHONE);
}

#[tokio::test]
async fn a_code_works_only_once() {
    let app = spawn_app().await;
    let code = app.linked_code(ANN, PHONE).await;
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
    let second = app.verify(PHONE, &code).await;
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"], "invalid_code");
}

#[tokio::test]
async fn of_fifty_concurrent_verifies_exactly_one_succeeds() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
        ("OTP_MAX_FAILURES_PER_HOUR", "1000"),
    ])
    .await;
    let code = app.linked_code(ANN, PHONE).await;
    let statuses: Vec<StatusCode> = join_all((0..50).map(|_| app.verify(PHONE, &code)))
        .await
        .into_iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::BAD_REQUEST)
            .count(),
        49,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn wrong_guesses_burn_the_code() {
    let app = spawn_app_with(&[("OTP_MAX_ATTEMPTS", "3")]).await;
    let code = app.linked_code(ANN, PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..3 {
        let response = app.verify(PHONE, wrong).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_code"
        );
    }
    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "too_many_attempts"
    );
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app_with(&[("OTP_TTL_SECONDS", "1")]).await;
    let code = app.linked_code(ANN, PHONE).await;
    let code_key = format!("{}{{p:{PHONE}}}:otp", app.prefix);
    eventually(10, "the code to expire", || async {
        let dump = app.redis_dump().await;
        (!dump.iter().any(|(k, _)| *k == code_key)).then_some(())
    })
    .await;
    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "invalid_code"
    );
}

#[tokio::test]
async fn a_new_code_kills_the_old_one_and_keeps_the_failure_count() {
    let app = spawn_app_with(&[
        ("OTP_RESEND_COOLDOWN_SECONDS", "0"),
        ("OTP_MAX_ATTEMPTS", "5"),
        ("OTP_MAX_FAILURES_PER_HOUR", "4"),
    ])
    .await;
    let first = app.linked_code(ANN, PHONE).await;
    let wrong = |c: &str| {
        if c.starts_with('0') {
            "999999".to_string()
        } else {
            "000000".to_string()
        }
    };
    for _ in 0..2 {
        assert_eq!(
            app.verify(PHONE, &wrong(&first)).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let second = app.nth_code_for(ANN, 2).await;
    if second != first {
        // The first code died when the second was issued (third failure).
        assert_eq!(
            app.verify(PHONE, &first).await.status(),
            StatusCode::BAD_REQUEST
        );
    } else {
        assert_eq!(
            app.verify(PHONE, &wrong(&second)).await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    // Fourth failure: the phone is locked even though the new code has wrong guesses to spare.
    assert_eq!(
        app.verify(PHONE, &wrong(&second)).await.status(),
        StatusCode::BAD_REQUEST
    );
    let locked = app.verify(PHONE, &second).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 3000 && retry <= 3600, "{retry}");
    assert_eq!(
        locked.json::<Value>().await.unwrap()["error"],
        "too_many_attempts"
    );
}

#[tokio::test]
async fn an_unlinked_phone_gets_the_same_answer_and_its_code_arrives_when_it_links() {
    let app = spawn_app().await;
    let linked = spawn_app().await;
    linked.link(ANN, "+998901234599").await;
    let answer_linked: Value = linked
        .request_code("+998901234599")
        .await
        .json()
        .await
        .unwrap();

    let response = app.request_code(PHONE).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let answer_unlinked: Value = response.json().await.unwrap();
    assert_eq!(answer_unlinked, answer_linked);

    app.link(ANN, PHONE).await;
    let code = app.nth_code_for(ANN, 1).await;
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn redis_never_holds_a_plaintext_code() {
    let app = spawn_app().await;
    let code = app.linked_code(ANN, PHONE).await;
    let dump = app.redis_dump().await;
    assert!(dump.iter().any(|(k, _)| k.ends_with(":otp")), "{dump:?}");
    for (key, value) in &dump {
        assert!(!value.contains(&code), "{key} holds the code: {value}");
        assert!(!key.contains(&code), "{key} holds the code");
    }
}

#[tokio::test]
async fn the_code_reaches_the_customer_when_redis_lost_the_binding() {
    let app = spawn_app().await;
    app.link(ANN, PHONE).await;
    // Simulate a Redis restart: the binding is gone, the database still knows it.
    let binding = format!("{}{{p:{PHONE}}}:tg", app.prefix);
    fred::prelude::KeysInterface::del::<(), _>(&app.redis, &binding)
        .await
        .unwrap();
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let code = app.nth_code_for(ANN, 1).await;
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_telegram_failure_does_not_change_the_sites_answer() {
    let app = spawn_app_with(&[("OTP_RESEND_COOLDOWN_SECONDS", "0")]).await;
    app.link(ANN, PHONE).await;
    app.telegram.fail_next("sendMessage", 500, 1, None);
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    // Sends run in the background: let the first one meet the failure before the next.
    eventually(10, "the failed send", || async {
        (!app.telegram.attempts_to(ANN, "<code>").is_empty()).then_some(())
    })
    .await;
    // The next code goes through; the failed one never arrived.
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    let code = app.nth_code_for(ANN, 1).await;
    let statuses: Vec<u16> = app
        .telegram
        .attempts_to(ANN, "<code>")
        .iter()
        .map(|(_, s)| *s)
        .collect();
    assert_eq!(
        statuses,
        vec![500, 200],
        "the first send met the injected 500"
    );
    assert_eq!(app.verify(PHONE, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_row_lost_from_the_database_is_recreated_at_login() {
    use sea_orm::ModelTrait;
    let app = spawn_app().await;
    let code = app.linked_code(ANN, PHONE).await;
    let row = user::Entity::find()
        .filter(user::Column::Phone.eq(PHONE))
        .one(app.state.database())
        .await
        .unwrap()
        .unwrap();
    row.delete(app.state.database()).await.unwrap();

    let response = app.verify(PHONE, &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["telegram_id"], ANN);
    let row = user::Entity::find()
        .filter(user::Column::Phone.eq(PHONE))
        .one(app.state.database())
        .await
        .unwrap()
        .expect("the row is back");
    assert_eq!(row.telegram_id, Some(ANN));
    assert!(row.is_verified);
}

#[tokio::test]
async fn imported_phones_can_log_in_without_visiting_the_bot() {
    use otpgram::{Phone, TelegramId};
    let app = spawn_app().await;
    let pairs: Vec<(Phone, TelegramId)> = (0..3)
        .map(|i| {
            (
                Phone::parse(&format!("+99890123450{i}"), None).unwrap(),
                TelegramId(8000 + i),
            )
        })
        .collect();
    otpgram::ops::import_bindings(&app.state, &pairs)
        .await
        .unwrap();
    // Importing again changes nothing.
    otpgram::ops::import_bindings(&app.state, &pairs)
        .await
        .unwrap();

    assert_eq!(
        app.request_code("+998901234502").await.status(),
        StatusCode::ACCEPTED
    );
    let code = app.nth_code_for(8002, 1).await;
    let response = app.verify("+998901234502", &code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["user"]["telegram_id"], 8002);
}

#[tokio::test]
async fn a_review_number_logs_in_with_its_fixed_code_and_no_message() {
    let app = spawn_app_with(&[
        ("TEST_PHONES", "+998900000001=424242, +998900000002=131313"),
        ("TEST_PHONES_VALID_UNTIL", "2099-12-31"),
    ])
    .await;
    let response = app.request_code("+998900000001").await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // The limits still apply.
    assert_eq!(
        app.request_code("+998900000001").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        app.verify("+998900000001", "000000").await.status(),
        StatusCode::BAD_REQUEST
    );
    let login = app.verify("+998900000001", "424242").await;
    assert_eq!(login.status(), StatusCode::OK);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["user"]["phone"], "+998900000001");
    // Single use, like any code.
    assert_eq!(
        app.verify("+998900000001", "424242").await.status(),
        StatusCode::BAD_REQUEST
    );
    assert!(
        app.telegram
            .sent()
            .iter()
            .all(|m| code_in(&m.text).is_none()),
        "no message was sent"
    );
}

#[tokio::test]
async fn an_expired_review_list_is_ignored() {
    let app = spawn_app_with(&[
        ("TEST_PHONES", "+998900000001=424242"),
        ("TEST_PHONES_VALID_UNTIL", "2020-01-01"),
    ])
    .await;
    assert_eq!(
        app.request_code("+998900000001").await.status(),
        StatusCode::ACCEPTED
    );
    assert_eq!(
        app.verify("+998900000001", "424242").await.status(),
        StatusCode::BAD_REQUEST
    );
}
