//! Stock relying-party libraries nobody here wrote, against one running otpgram: panva's
//! openid-client (Node, strict defaults) through a code, one tap, `prompt=none` single sign-on to
//! a second shop, `prompt=login`, `max_age`, revocation and logout, and a callback stripped of
//! `iss` that it must refuse. `scripts/test` installs the library and runs this test.

use std::process::Stdio;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout, Command},
};
use url::Url;

use crate::{
    helpers::{SERVICE_KEY, TestApp, spawn_app},
    oidc::{ANN_PHONE, CALLBACK, LOGIN_COOKIE, log_in, param, request_of, set_cookie},
    one_tap::confirmation,
    sso::{SECOND_SHOP, age_session, location, open_page},
};

const BYE: &str = "https://bozor.example/goodbye";

/// openid-client in a Node process, one JSON command per line.
struct OpenIdClient {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl OpenIdClient {
    fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/openid_client.mjs");
        let mut child = Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Self {
            _child: child,
            stdin,
            stdout,
        }
    }

    async fn ask(&mut self, command: Value) -> Value {
        self.stdin
            .write_all(format!("{command}\n").as_bytes())
            .await
            .unwrap();
        let line =
            tokio::time::timeout(std::time::Duration::from_secs(20), self.stdout.next_line())
                .await
                .expect("openid-client answers")
                .unwrap()
                .expect("a line");
        serde_json::from_str(&line).unwrap()
    }

    /// Asks; panics with the library's error if it refused.
    async fn must(&mut self, command: Value) -> Value {
        let answer = self.ask(command.clone()).await;
        assert!(answer.get("error").is_none(), "{command} → {answer}");
        answer
    }
}

async fn register(app: &TestApp, kind: &str, redirect: &str) -> (String, Option<String>) {
    let response = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(SERVICE_KEY)
        .json(&json!({
            "name": "Bozor.uz", "redirect_uris": [redirect], "type": kind,
            "post_logout_redirect_uris": [BYE],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    (
        body["client_id"].as_str().unwrap().to_string(),
        body["client_secret"].as_str().map(str::to_string),
    )
}

/// The browser's part of a sign-in with a live login session: the authorization request goes
/// straight back to the client's callback.
async fn through_sso(
    rp: &mut OpenIdClient,
    client: &str,
    name: &str,
    redirect: &str,
    extra: Value,
    cookie: &str,
) -> Url {
    let url = rp
        .must(
            json!({ "cmd": "authorize", "client_id": client, "name": name,
            "redirect_uri": redirect, "extra": extra }),
        )
        .await;
    location(
        &open_page(
            &Url::parse(url["url"].as_str().unwrap()).unwrap(),
            Some(cookie),
        )
        .await,
    )
}

/// Signs in again with one tap on the hosted page, as its script does: start for the client's
/// request, pick the number in Telegram, wait for the login session, then `/login/authorize`.
async fn one_tap_on_the_page(app: &TestApp, user: i64, auth_url: &Url) -> (String, Url) {
    let request = request_of(auth_url);
    let started: Value = app
        .post_json("/login/telegram", Value::Object(request.clone()))
        .await
        .json()
        .await
        .unwrap();
    let link = started["link"].as_str().unwrap();
    let payload = link.split_once("?start=").unwrap().1;
    app.telegram.send_text(user, &format!("/start {payload}"));
    let number = started["number"].as_u64().unwrap() as u8;
    let (_, pick, _) = confirmation(app, user, number).await;
    app.telegram.press_button(user, &pick);
    let waited = app
        .http
        .get(app.url(&format!(
            "/login/telegram/{}?wait=10",
            started["login_id"].as_str().unwrap()
        )))
        .bearer_auth(started["poll_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let cookie = set_cookie(&waited, LOGIN_COOKIE).expect("a login session");
    let back = crate::oidc::finish_as_the_page(app, auth_url, &cookie).await;
    (cookie, back)
}

#[tokio::test]
#[ignore = "needs openid-client (OPENID_CLIENT_DIR) and node; run by scripts/test"]
async fn openid_client_in_strict_mode_signs_in_single_signs_on_and_logs_out() {
    let app = spawn_app().await;
    let (shop, secret) = register(&app, "confidential", CALLBACK).await;
    let (second, _) = register(&app, "public", SECOND_SHOP).await;
    let mut rp = OpenIdClient::start();
    for (client, secret) in [(&shop, secret.clone()), (&second, None)] {
        let found = rp
            .must(
                json!({ "cmd": "discover", "issuer": app.address, "client_id": client,
                "client_secret": secret }),
            )
            .await;
        assert_eq!(found["iss_supported"], true);
    }

    // By code: the callback without `iss` is refused by the library, the true one accepted.
    let cookie = log_in(&app).await;
    let back = through_sso(&mut rp, &shop, "first", CALLBACK, json!({}), &cookie).await;
    assert_eq!(param(&back, "iss").as_deref(), Some(app.address.as_str()));
    let mut stripped = back.clone();
    let kept: Vec<(String, String)> = back
        .query_pairs()
        .filter(|(k, _)| k != "iss")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    stripped.query_pairs_mut().clear().extend_pairs(kept);
    let refused = rp
        .ask(json!({ "cmd": "callback", "client_id": shop, "name": "first", "url": stripped.as_str() }))
        .await;
    assert!(
        refused["cause"]
            .as_str()
            .is_some_and(|e| e.contains("\"iss\"")),
        "a callback without iss must be refused: {refused}"
    );
    let first = rp
        .must(
            json!({ "cmd": "callback", "client_id": shop, "name": "first", "url": back.as_str() }),
        )
        .await;
    let sub = first["claims"]["sub"].as_str().unwrap().to_string();
    assert_eq!(first["claims"]["amr"], json!(["otp"]));
    assert_eq!(first["claims"]["phone_number"], ANN_PHONE);
    let info = rp
        .must(json!({ "cmd": "userinfo", "client_id": shop,
            "access_token": first["access_token"], "sub": sub }))
        .await;
    assert_eq!(info["userinfo"]["phone_number"], ANN_PHONE);

    // prompt=none: the second shop (a public client, asking for offline_access) signs the same
    // customer in without a page, and refreshes its tokens.
    let back = through_sso(
        &mut rp,
        &second,
        "sso",
        SECOND_SHOP,
        json!({ "prompt": "none", "scope": "openid phone offline_access" }),
        &cookie,
    )
    .await;
    let sso = rp
        .must(
            json!({ "cmd": "callback", "client_id": second, "name": "sso", "url": back.as_str() }),
        )
        .await;
    assert_eq!(sso["claims"]["sub"], sub.as_str());
    let refreshed = rp
        .must(
            json!({ "cmd": "refresh", "client_id": second, "refresh_token": sso["refresh_token"] }),
        )
        .await;
    assert_ne!(refreshed["refresh_token"], sso["refresh_token"]);
    rp.must(json!({ "cmd": "userinfo", "client_id": second,
        "access_token": refreshed["access_token"], "sub": sub }))
        .await;

    // max_age: a session older than asked is not used; a lenient one is, with its auth_time.
    age_session(&app, 120).await;
    let strict = rp
        .must(
            json!({ "cmd": "authorize", "client_id": shop, "name": "strict",
            "redirect_uri": CALLBACK, "extra": { "max_age": "60" } }),
        )
        .await;
    let page = open_page(
        &Url::parse(strict["url"].as_str().unwrap()).unwrap(),
        Some(&cookie),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK, "the page, not a code");
    let back = through_sso(
        &mut rp,
        &shop,
        "lenient",
        CALLBACK,
        json!({ "max_age": "3600" }),
        &cookie,
    )
    .await;
    let lenient = rp
        .must(json!({ "cmd": "callback", "client_id": shop, "name": "lenient", "url": back.as_str() }))
        .await;
    let old_auth_time = lenient["claims"]["auth_time"].as_i64().unwrap();

    // prompt=login: the customer signs in again, here with one tap; a fresh auth_time.
    let again = rp
        .must(
            json!({ "cmd": "authorize", "client_id": shop, "name": "again",
            "redirect_uri": CALLBACK, "extra": { "prompt": "login" } }),
        )
        .await;
    let again_url = Url::parse(again["url"].as_str().unwrap()).unwrap();
    let page = open_page(&again_url, Some(&cookie)).await;
    assert_eq!(page.status(), StatusCode::OK, "the page, not a code");
    let user = app.user_row(ANN_PHONE).await.unwrap().telegram_id.unwrap();
    let (cookie, back) = one_tap_on_the_page(&app, user, &again_url).await;
    let fresh = rp
        .must(
            json!({ "cmd": "callback", "client_id": shop, "name": "again", "url": back.as_str() }),
        )
        .await;
    assert_eq!(fresh["claims"]["amr"], json!(["telegram"]));
    assert_eq!(
        fresh["claims"]["sub"],
        sub.as_str(),
        "one customer, by code or one tap"
    );
    assert!(fresh["claims"]["auth_time"].as_i64().unwrap() > old_auth_time + 100);

    // Revocation: the access token stops working at userinfo.
    rp.must(json!({ "cmd": "revoke", "client_id": shop, "token": fresh["access_token"] }))
        .await;
    let gone = rp
        .ask(json!({ "cmd": "userinfo", "client_id": shop,
            "access_token": fresh["access_token"], "sub": sub }))
        .await;
    assert!(gone.get("error").is_some(), "{gone}");

    // Logout: with the ID token as the hint, back to the registered address; the next login
    // asks again.
    let end = rp
        .must(
            json!({ "cmd": "end_session", "client_id": shop, "id_token_hint": fresh["id_token"],
            "post_logout_redirect_uri": BYE, "state": "bye" }),
        )
        .await;
    let out = open_page(
        &Url::parse(end["url"].as_str().unwrap()).unwrap(),
        Some(&cookie),
    )
    .await;
    assert_eq!(location(&out).as_str(), format!("{BYE}?state=bye"));
    let after = rp
        .must(
            json!({ "cmd": "authorize", "client_id": shop, "name": "after",
            "redirect_uri": CALLBACK, "extra": {} }),
        )
        .await;
    let page = open_page(
        &Url::parse(after["url"].as_str().unwrap()).unwrap(),
        Some(&cookie),
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK, "logged out: the page again");
}

/// A Django shop with mozilla-django-oidc, set up as the README says (PKCE on, a backend keyed
/// on `sub`): two customers become two users named after their `sub`. With the stock backend
/// (keyed on `email`) the first became a user named after SHA-1("None") and the second a 500.
#[tokio::test]
#[ignore = "needs Django and mozilla-django-oidc (DJANGO_PYTHON); run by scripts/test"]
async fn mozilla_django_oidc_makes_one_user_per_customer() {
    let app = spawn_app().await;
    let callback = "http://localhost/oidc/callback/";
    let (shop, secret) = register(&app, "confidential", callback).await;
    let ann = log_in(&app).await;
    let (bob, bob_phone) = (4003, "+998901234402");
    let code = app.linked_code(bob, bob_phone).await;
    let response = app
        .post_json("/login/verify", json!({ "phone": bob_phone, "code": code }))
        .await;
    let bob_cookie = set_cookie(&response, LOGIN_COOKIE).unwrap();

    let python = std::env::var("DJANGO_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/rp/django_shop/shop.py");
    let output = Command::new(python)
        .arg(script)
        .args([&app.address, &shop, &secret.unwrap(), &ann, &bob_cookie])
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shop_side: Value = serde_json::from_str(stdout.trim()).unwrap();
    let ann_id = app.user_row(ANN_PHONE).await.unwrap().id.to_string();
    let bob_id = app.user_row(bob_phone).await.unwrap().id.to_string();
    assert_eq!(
        shop_side,
        json!({
            "customers": [
                { "username": ann_id, "phone": ANN_PHONE },
                { "username": bob_id, "phone": bob_phone },
            ],
            "users": 2,
        })
    );
}
