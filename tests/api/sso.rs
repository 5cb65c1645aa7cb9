//! The hosted page's login session: one sign-in serves every shop of the deployment (single
//! sign-on), `prompt=none`, `prompt=login` and `max_age` are honoured against it, nothing else is
//! created per sign-in, and it hands out a bounded number of codes.

use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::{
    helpers::{TestApp, spawn_app},
    oidc::{
        ANN_PHONE, As, CALLBACK, LOGIN_COOKIE, VERIFIER, authorize_as_the_page, log_in, param,
        pkce_url, register, request_of, set_cookie, trade,
    },
    one_tap,
};

pub const SECOND_SHOP: &str = "https://chorsu.example/oidc/callback";

fn no_redirects() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `GET /login` as a browser with the login session `cookie` (if any) navigates to it.
pub async fn open_page(url: &Url, cookie: Option<&str>) -> reqwest::Response {
    let mut call = no_redirects().get(url.as_str());
    if let Some(cookie) = cookie {
        call = call.header("cookie", format!("{LOGIN_COOKIE}={cookie}"));
    }
    call.send().await.unwrap()
}

pub fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// The ID token's payload for `code`.
async fn id_token(app: &TestApp, code: &str, redirect: &str, client_id: &str) -> Value {
    let (status, tokens) = trade(app, code, redirect, VERIFIER, As::Public(client_id)).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let part = tokens["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part).unwrap(),
    )
    .unwrap()
}

/// Rewrites the login session's `auth_time` to `seconds_ago` seconds ago.
pub async fn age_session(app: &TestApp, seconds_ago: i64) {
    use fred::prelude::KeysInterface;
    let (key, value) = app
        .redis_dump()
        .await
        .into_iter()
        .find(|(key, _)| key.contains(":ls:") && !key.ends_with(":codes"))
        .expect("a login session in Redis");
    let (rest, _) = value.rsplit_once('|').unwrap();
    let then = chrono::Utc::now().timestamp() - seconds_ago;
    let _: () = app
        .redis
        .set(&key, format!("{rest}|{then}"), None, None, true)
        .await
        .unwrap();
}

#[tokio::test]
async fn one_sign_in_serves_a_second_shop_and_creates_no_token_family() {
    let app = spawn_app().await;
    let (first, _) = register(&app, "public", CALLBACK).await;
    let (second, _) = register(&app, "public", SECOND_SHOP).await;
    let signed_in = log_in(&app).await;

    // The sign-in kept one login session and no API session (no refresh token family; the
    // copy of the customer's record is all that is kept under their id).
    let user = app.user_row(ANN_PHONE).await.unwrap();
    let keys: Vec<String> = app.redis_dump().await.into_iter().map(|(k, _)| k).collect();
    let record = format!("{{u:{}}}:user", user.id);
    assert!(
        !keys
            .iter()
            .any(|k| k.contains(&format!("{{u:{}}}", user.id)) && !k.ends_with(&record)),
        "{keys:?}"
    );
    assert_eq!(
        keys.iter().filter(|k| k.contains(":ls:")).count(),
        1,
        "{keys:?}"
    );

    // The first shop gets its code straight away; so does the second, without a page.
    let mut subjects = Vec::new();
    for (client, redirect) in [(&first, CALLBACK), (&second, SECOND_SHOP)] {
        let back =
            location(&open_page(&pkce_url(&app, client, redirect, &[]), Some(&signed_in)).await);
        assert!(back.as_str().starts_with(redirect), "{back}");
        assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
        let claims = id_token(&app, &param(&back, "code").unwrap(), redirect, client).await;
        assert_eq!(claims["amr"], json!(["otp"]));
        subjects.push((claims["sub"].clone(), claims["auth_time"].clone()));
    }
    assert_eq!(subjects[0], subjects[1], "one customer, one login");
    assert_eq!(subjects[0].0, user.id.to_string());

    // Without the cookie the page is shown.
    let page = open_page(&pkce_url(&app, &first, CALLBACK, &[]), None).await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn prompt_none_answers_at_once_and_never_shows_the_page() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let silent = pkce_url(&app, &client, CALLBACK, &[("prompt", "none")]);

    let back = location(&open_page(&silent, None).await);
    assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    assert!(param(&back, "code").is_none());

    let signed_in = log_in(&app).await;
    let back = location(&open_page(&silent, Some(&signed_in)).await);
    assert!(param(&back, "code").is_some(), "{back}");

    let mixed = pkce_url(&app, &client, CALLBACK, &[("prompt", "none login")]);
    let back = location(&open_page(&mixed, Some(&signed_in)).await);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn prompt_login_makes_the_customer_sign_in_again() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let again = pkce_url(&app, &client, CALLBACK, &[("prompt", "login")]);

    let page = open_page(&again, Some(&signed_in)).await;
    assert_eq!(page.status(), StatusCode::OK, "the page, not a code");
    assert_eq!(
        set_cookie(&page, LOGIN_COOKIE).as_deref(),
        Some(""),
        "cleared"
    );
    // The old session is gone: it gives no code to this client or any other.
    let response = authorize_as_the_page(&app, &again, &signed_in).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "login_required");
    let page = open_page(&pkce_url(&app, &client, CALLBACK, &[]), Some(&signed_in)).await;
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn max_age_refuses_a_session_older_than_asked() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    age_session(&app, 120).await;

    let strict = pkce_url(&app, &client, CALLBACK, &[("max_age", "60")]);
    let page = open_page(&strict, Some(&signed_in)).await;
    assert_eq!(page.status(), StatusCode::OK, "the page, not a code");
    let response = authorize_as_the_page(&app, &strict, &signed_in).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // A client content with an older login gets it, with the truthful auth_time.
    let lenient = pkce_url(&app, &client, CALLBACK, &[("max_age", "3600")]);
    let back = location(&open_page(&lenient, Some(&signed_in)).await);
    let claims = id_token(&app, &param(&back, "code").unwrap(), CALLBACK, &client).await;
    let age = chrono::Utc::now().timestamp() - claims["auth_time"].as_i64().unwrap();
    assert!((119..=125).contains(&age), "auth_time {age} s ago");

    let nonsense = pkce_url(&app, &client, CALLBACK, &[("max_age", "soon")]);
    let back = location(&open_page(&nonsense, Some(&signed_in)).await);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
}

/// The review made 400 codes with one session in 0.3 s. A login session gets 30 per ten
/// minutes.
#[tokio::test]
async fn a_login_session_gets_a_bounded_number_of_codes() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client, CALLBACK, &[]);
    for n in 1..=30 {
        let response = authorize_as_the_page(&app, &url, &signed_in).await;
        assert_eq!(response.status(), StatusCode::OK, "code {n}");
    }
    let response = authorize_as_the_page(&app, &url, &signed_in).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let back = open_page(&url, Some(&signed_in)).await;
    assert_eq!(back.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// One tap on the hosted page opens the login session too (and no API session).
#[tokio::test]
async fn one_tap_on_the_page_signs_in_with_a_login_session() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let (ann, phone) = (4101, "+998901234410");
    app.link(ann, phone).await;
    let login = one_tap::start(&app).await;
    app.telegram
        .send_text(ann, &format!("/start {}", login.payload()));
    let (_, approve, _) = one_tap::confirmation(&app, ann, login.number).await;
    app.telegram.press_button(ann, &approve);
    let response = app
        .http
        .get(app.url(&format!("/login/telegram/{}?wait=10", login.id)))
        .bearer_auth(&login.poll_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = set_cookie(&response, LOGIN_COOKIE).expect("the login session's cookie");
    assert!(set_cookie(&response, "access_token").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "signed_in");
    assert!(body.get("access_token").is_none(), "{body}");

    let back = location(&open_page(&pkce_url(&app, &client, CALLBACK, &[]), Some(&cookie)).await);
    let claims = id_token(&app, &param(&back, "code").unwrap(), CALLBACK, &client).await;
    assert_eq!(claims["amr"], json!(["telegram"]));
}

/// The confirmation in Telegram names the client that asks (its registered name, not the
/// deployment's `SITE_NAME`), its origin, and the time in the deployment's zone. The review
/// saw "Log in to the shop's website?" while the page said "Log in to Chorsu Market".
#[tokio::test]
async fn the_confirmation_names_the_client_that_asks_and_its_origin() {
    let app = crate::helpers::spawn_app_with(&[
        ("SITE_NAME", "Deployment-wide name"),
        ("TIME_ZONE", "Europe/Moscow"),
    ])
    .await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let (ann, phone) = (4102, "+998901234411");
    app.link(ann, phone).await;
    let url = pkce_url(&app, &client, CALLBACK, &[]);
    let request = request_of(&url);
    let started = app
        .post_json("/login/telegram", Value::Object(request))
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let started: Value = started.json().await.unwrap();
    let link = started["link"].as_str().unwrap();
    let payload = link.split_once("?start=").unwrap().1;
    app.telegram.send_text(ann, &format!("/start {payload}"));
    let number = started["number"].as_u64().unwrap() as u8;
    let (text, approve, _) = one_tap::confirmation(&app, ann, number).await;
    for part in [
        "Log in to Bozor.uz?",
        "https://bozor.example",
        "(UTC+03:00)",
    ] {
        assert!(text.contains(part), "{part} missing from {text}");
    }
    assert!(!text.contains("Deployment-wide"), "{text}");
    assert!(!text.contains("Someone asked"), "{text}");
    app.telegram.press_button(ann, &approve);
    let edited = app
        .telegram
        .wait_for_edit(ann, "the answer", |t| t.contains("logged in"))
        .await;
    assert!(edited.text.contains("Bozor.uz"), "{}", edited.text);
}

/// A phone that changes hands (it now belongs to another Telegram account) ends the old owner's
/// login sessions too: their browser gets no more codes for the account.
#[tokio::test]
async fn a_phone_changing_hands_ends_its_login_sessions() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client, CALLBACK, &[]);
    assert_eq!(
        open_page(&url, Some(&signed_in)).await.status(),
        StatusCode::SEE_OTHER
    );
    app.link(4999, ANN_PHONE).await;
    let page = open_page(&url, Some(&signed_in)).await;
    assert_eq!(page.status(), StatusCode::OK, "the page, not a code");
    let response = authorize_as_the_page(&app, &url, &signed_in).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

/// Codes handed out by single sign-on count against the address's allowance, as every code
/// endpoint does.
#[tokio::test]
async fn single_sign_on_codes_count_against_the_address() {
    let app = crate::helpers::spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "5")]).await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    // Asking for the code and signing in with it: two of the five.
    let signed_in = log_in(&app).await;
    let url = pkce_url(&app, &client, CALLBACK, &[]);
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(open_page(&url, Some(&signed_in)).await.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

/// A code asked for on the hosted page names the client that asks and its origin; a phone that
/// is not linked gets the very same answer.
#[tokio::test]
async fn the_code_message_names_the_client_that_asks() {
    let app = spawn_app().await;
    let (client, _) = register(&app, "public", CALLBACK).await;
    let (ann, phone) = (4103, "+998901234412");
    app.link(ann, phone).await;
    let url = pkce_url(&app, &client, CALLBACK, &[]);
    let request = request_of(&url);
    let ask = |phone: &'static str| {
        let (app, request) = (&app, request.clone());
        async move {
            let response = app
                .post_json("/login/code", json!({ "phone": phone, "request": request }))
                .await;
            let status = response.status();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let linked = ask(phone).await;
    let unlinked = ask("+998901234413").await;
    assert_eq!(linked.0, StatusCode::ACCEPTED);
    assert_eq!(linked, unlinked, "nobody learns which phone is a customer");
    let message = app
        .telegram
        .wait_for_message(ann, "the code", |t| t.contains("Bozor.uz"))
        .await;
    assert!(
        message.text.contains("https://bozor.example"),
        "{}",
        message.text
    );
    let code = crate::helpers::code_in(&message.text).unwrap();
    let verified = app
        .post_json("/login/verify", json!({ "phone": phone, "code": code }))
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
}
