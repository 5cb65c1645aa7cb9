//! A real browser: headless Chromium (Debian's `chromium` and `chromium-driver`, driven over
//! WebDriver) on
//! - the sandbox page: creates a pretend user, shares the phone, asks for a code in the page's
//!   site panel, reads it from the rendered chat, logs in, then logs in with one tap;
//! - the hosted login page, sent there by a real OpenID Connect client: by code and by one tap
//!   (the Telegram side played through the sandbox), landing on a stand-in shop's callback;
//! - the widget on a shop's own page: the login in a popup, the code handed to the page.
//!
//! Screenshots are saved under the target dir (`tmp/screenshots/`) for a person to look at.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator, elements::Element};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app_with};

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn start_driver() -> Driver {
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {binary}: {e}"));
    let url = format!("http://127.0.0.1:{port}");
    let driver = Driver { process, url };
    let status = format!("{}/status", driver.url);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while reqwest::get(&status).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
}

async fn browser(driver: &Driver) -> Client {
    browser_with(driver, true).await
}

/// A browser that runs pages' scripts, or (`scripts: false`) one that runs none, as with
/// JavaScript turned off.
async fn browser_with(driver: &Driver, scripts: bool) -> Client {
    let mut chrome = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1280,900"],
    });
    if !scripts {
        chrome["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    if let Ok(binary) = std::env::var("CHROMIUM") {
        chrome["binary"] = json!(binary);
    }
    let capabilities = json!({ "goog:chromeOptions": chrome });
    ClientBuilder::new(HttpConnector::new())
        .capabilities(capabilities.as_object().unwrap().clone())
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Waits (up to 10 s) for an element, then for `ready` to accept it.
async fn find(client: &Client, css: &str) -> Element {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
}

/// Polls the page until the text of some element matching `css` satisfies `wanted`.
async fn text_of(client: &Client, css: &str, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        for element in client.find_all(Locator::Css(css)).await.unwrap_or_default() {
            if let Ok(text) = element.text().await
                && wanted(&text)
            {
                return text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls the page until the element matching `css` has the attribute `name`
/// (a script may fill it in after the element is shown).
async fn attribute_of(client: &Client, css: &str, name: &str) -> String {
    crate::helpers::eventually(10, "the attribute to be set", || async {
        let element = client.find(Locator::Css(css)).await.ok()?;
        element.attr(name).await.ok().flatten()
    })
    .await
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn type_into(client: &Client, css: &str, text: &str) {
    let field = find(client, css).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// One app (in sandbox mode) and one browser for the three.
#[tokio::test]
#[ignore = "needs chromium and chromedriver (CHROMEDRIVER=path); run by scripts/test"]
async fn a_browser_logs_in_through_the_sandbox_the_hosted_page_and_the_widget() {
    let app: TestApp = spawn_app_with(&[
        ("TELEGRAM_BOT_TOKEN", ""),
        ("LOGIN_NO_CODE_HINT_SECONDS", "1"),
    ])
    .await;
    let driver = start_driver().await;
    let client = browser(&driver).await;
    sandbox_page(&app, &client).await;
    let user = hosted_login_page(&app, &client, &driver).await;
    widget_popup(&app, &client, user).await;
    logout_page(&app, &client).await;
    client.close().await.unwrap();
}

/// Logging out of otpgram without an ID token: the page asks first, in each language, with no
/// script; the form ends the session and says so.
async fn logout_page(app: &TestApp, client: &Client) {
    let dir = screenshot_dir();
    for (lang, title) in [
        ("en", "Log out of otpgram?"),
        ("ru", "Выйти из otpgram?"),
        ("uz", "otpgram’dan chiqasizmi?"),
    ] {
        client
            .goto(&app.url(&format!("/logout?ui_locales={lang}")))
            .await
            .unwrap();
        let shown = text_of(client, "h1", "the logout question", |t| !t.is_empty()).await;
        assert_eq!(shown, title, "{lang}");
        std::fs::write(
            dir.join(format!("logout-{lang}.png")),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
    }
    find(client, "#logout").await.click().await.unwrap();
    text_of(client, "h1", "logged out", |t| t == "Siz chiqdingiz").await;
    std::fs::write(
        dir.join("logout-done-uz.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
}

async fn sandbox_page(app: &TestApp, client: &Client) {
    let client = client.clone();
    client.goto(&app.url("/sandbox")).await.unwrap();
    text_of(&client, "#bot-name", "the bot's name", |t| {
        t.starts_with('@')
    })
    .await;

    // A pretend user, with the keyboard as a person would.
    type_into(&client, "#user-first-name", "Aziza").await;
    type_into(&client, "#user-last-name", "Karimova").await;
    type_into(&client, "#user-phone", "+998901234567").await;
    find(&client, "#create-user").await.click().await.unwrap();
    text_of(&client, "#chat-as", "the chat to open", |t| {
        t.contains("+998901234567")
    })
    .await;

    // /start, then the bot's Share phone number button.
    find(&client, "button[data-command='/start']")
        .await
        .click()
        .await
        .unwrap();
    find(&client, "#keyboard .kb-contact")
        .await
        .click()
        .await
        .unwrap();
    text_of(&client, "#messages .msg.bot", "the linked answer", |t| {
        t.contains("is linked")
    })
    .await;

    // The site panel asks for a code; it shows up in the chat, rendered from Telegram's HTML.
    let phone = find(&client, "#site-phone").await;
    assert_eq!(
        phone.prop("value").await.unwrap().as_deref(),
        Some("+998901234567")
    );
    find(&client, "#site-request").await.click().await.unwrap();
    let code = text_of(
        &client,
        "#messages .msg.bot code",
        "the code in the chat",
        |t| t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()),
    )
    .await;
    // Where to look, in the hosted page's own words (locales/), and the way to the bot.
    text_of(&client, "#site-status", "where the code comes from", |t| {
        t.contains("from @otpgram_sandbox_bot, or from “Verification Codes”")
            && t.contains("No code? Open @otpgram_sandbox_bot.")
    })
    .await;
    type_into(&client, "#site-code", &code).await;
    find(&client, "#site-verify").await.click().await.unwrap();
    let logged_in = text_of(&client, "#site-user", "the logged-in user", |t| {
        t.starts_with("Logged in as")
    })
    .await;
    assert!(logged_in.contains("Aziza Karimova"), "{logged_in}");
    assert!(logged_in.contains("+998901234567"), "{logged_in}");

    // One tap: the site panel starts a login and shows its link and QR code; the pretend user
    // opens the link in the chat and presses Log in; the waiting page is logged in.
    find(&client, "#site-one-tap").await.click().await.unwrap();
    text_of(&client, "#one-tap-href", "the login link", |t| {
        t.starts_with("https://t.me/otpgram_sandbox_bot?start=login_")
    })
    .await;
    find(&client, "#one-tap-qr svg").await;
    text_of(&client, "#site-status", "the page waiting", |t| {
        t.starts_with("Waiting for the answer")
    })
    .await;
    let dir = screenshot_dir();
    std::fs::write(
        dir.join("sandbox-one-tap.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    find(&client, "#one-tap-open").await.click().await.unwrap();
    text_of(&client, "#messages .msg.bot", "the confirmation", |t| {
        t.contains("Log in to") && t.contains("+99890*****67")
    })
    .await;
    // The number the site's panel shows, picked among the three in the chat.
    let number = find(&client, "#one-tap-number").await.text().await.unwrap();
    find(
        &client,
        &format!("#messages button[data-callback^='login_pick:'][data-callback$=':{number}']"),
    )
    .await
    .click()
    .await
    .unwrap();
    text_of(
        &client,
        "#messages .msg.bot",
        "the answered confirmation",
        |t| t.contains("You are logged in"),
    )
    .await;
    text_of(&client, "#site-status", "the one-tap login", |t| {
        t.starts_with("Logged in")
    })
    .await;

    std::fs::write(dir.join("sandbox.png"), client.screenshot().await.unwrap()).unwrap();

    // A second pretend user who never presses /start: the site panel's code reaches them from
    // "Verification Codes" (the sandbox's pretend Gateway), in a chat of its own.
    type_into(&client, "#user-first-name", "Bobur").await;
    type_into(&client, "#user-last-name", "Aliyev").await;
    type_into(&client, "#user-phone", "+998901234568").await;
    find(&client, "#create-user").await.click().await.unwrap();
    text_of(&client, "#chat-as", "the second user's chat", |t| {
        t.contains("+998901234568")
    })
    .await;
    find(&client, "#site-request").await.click().await.unwrap();
    text_of(&client, "#site-status", "where the code comes from", |t| {
        t.contains("Verification Codes")
    })
    .await;
    text_of(
        &client,
        "#users button[data-verification]",
        "the Verification Codes chat",
        |t| t.contains("Verification Codes · Bobur"),
    )
    .await;
    find(&client, "#users button[data-verification]")
        .await
        .click()
        .await
        .unwrap();
    let message = text_of(&client, "#messages .msg.bot", "the Gateway's code", |t| {
        t.contains("Verification code:")
    })
    .await;
    assert!(message.starts_with("Verification Codes"), "{message}");
    std::fs::write(
        dir.join("sandbox-verification-codes.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    // And as on a phone.
    client.set_window_size(390, 844).await.unwrap();
    std::fs::write(
        dir.join("sandbox-phone.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    eprintln!("screenshots: {}", dir.display());
    client.set_window_size(1280, 900).await.unwrap();
}

/// A stand-in for the shop's site: its OpenID Connect callback, which records what arrives.
async fn relying_party() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/callback",
        axum::routing::get(
            move |axum::extract::RawQuery(query): axum::extract::RawQuery| {
                let record = record.clone();
                async move {
                    record.lock().unwrap().push(query.unwrap_or_default());
                    axum::response::Html("<h1>Welcome back to the shop</h1>")
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/callback",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, seen)
}

/// The shop's site sends a customer to otpgram's login page (a real OpenID Connect client
/// builds the request and checks the answer); the customer logs in with a code, then again
/// with one tap (the Telegram side played through the sandbox), and the site gets a valid ID
/// token each time. Then the same twice in a browser that runs no script: every step a form.
/// Screenshots of the page in each language.
async fn hosted_login_page(app: &TestApp, client: &Client, driver: &Driver) -> i64 {
    use openidconnect::{
        AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
        RedirectUrl, Scope, TokenResponse,
        core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata},
    };
    let (callback, seen) = relying_party().await;
    let (client_id, secret) = crate::oidc::register(app, "confidential", &callback).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id),
        secret.map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(callback.clone()).unwrap());
    let dir = screenshot_dir();
    // Pretend customers of the sandbox, linked there (the second logs in without scripts: a
    // phone of its own, so the first one's resend cooldown does not apply).
    let user = linked_sandbox_user(app, "Bekzod", PHONE).await;
    let other = linked_sandbox_user(app, "Dilnoza", OTHER_PHONE).await;
    let plain = browser_with(driver, false).await;
    // The first login opens otpgram's login session; the next ones ask for a fresh one
    // (`prompt=login`), or the page would go straight back (single sign-on, checked after).
    // The last two are in the browser without scripts.
    let ways = [
        ("en", "code"),
        ("ru", "tap"),
        ("uz", "tap"),
        ("ru", "form-code"),
        ("uz", "form-tap"),
    ];
    for (lang, way) in ways {
        let scripted = !way.starts_with("form");
        let client = if scripted { client } else { &plain };
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = rp
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("phone".into()))
            .add_extra_param("ui_locales", lang)
            .set_pkce_challenge(challenge);
        if way != "code" {
            request = request.add_extra_param("prompt", "login");
        }
        let (url, csrf, nonce) = request.url();
        client.goto(url.as_str()).await.unwrap();
        let title = text_of(client, "#title", "the page's title", |t| !t.is_empty()).await;
        assert!(title.contains("Bozor.uz"), "{lang}: {title}");
        std::fs::write(
            dir.join(format!("login-{lang}.png")),
            client.screenshot().await.unwrap(),
        )
        .unwrap();
        let before = seen.lock().unwrap().len();
        if way == "form-code" {
            let codes_before = codes(app, other).await.len();
            type_into(client, "#phone", OTHER_PHONE).await;
            find(client, "#send").await.click().await.unwrap();
            // The server's answer to the form: the page again, now asking for the code.
            text_of(client, "#status", "where the code comes from", |t| {
                t.contains("Код отправлен в Telegram") && t.contains("@otpgram_sandbox_bot")
            })
            .await;
            assert_eq!(
                client.current_url().await.unwrap().path(),
                "/login/form/code"
            );
            let code = crate::helpers::eventually(10, "the code in the sandbox chat", || async {
                codes(app, other).await.get(codes_before).cloned()
            })
            .await;
            std::fs::write(
                dir.join("login-no-script-code.png"),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
            type_into(client, "#code", &code).await;
            find(client, "#verify").await.click().await.unwrap();
            tokio::time::sleep(Duration::from_secs(2)).await;
        } else if way == "form-tap" {
            find(client, "#tap").await.click().await.unwrap();
            let link = attribute_of(client, "#tap-open", "href").await;
            let number = text_of(client, "#tap-number", "the number to press", |t| {
                !t.is_empty()
            })
            .await;
            assert_eq!(
                client.current_url().await.unwrap().path(),
                "/login/form/telegram"
            );
            find(client, "#tap-qr svg").await;
            std::fs::write(
                dir.join("login-no-script-tap.png"),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
            tap_in_the_sandbox(app, user, &link, &number).await;
            find(client, "#tap-continue").await.click().await.unwrap();
        } else if way == "code" {
            let codes_before = codes(app, user).await.len();
            type_into(client, "#phone", PHONE).await;
            find(client, "#send").await.click().await.unwrap();
            text_of(client, "#resend", "the resend countdown", |t| {
                t.chars().any(|c| c.is_ascii_digit())
            })
            .await;
            let code = crate::helpers::eventually(10, "the code in the sandbox chat", || async {
                codes(app, user).await.get(codes_before).cloned()
            })
            .await;
            // Where the code comes from, and — before anything is typed — the way to the bot.
            text_of(client, "#status", "where the code comes from", |t| {
                t.contains("@otpgram_sandbox_bot") && t.contains("Verification Codes")
            })
            .await;
            text_of(client, "#no-code", "the no-code hint", |t| {
                t.contains("No code?") && t.contains("Open @otpgram_sandbox_bot")
            })
            .await;
            let bot_link = find(client, "#no-code-link")
                .await
                .attr("href")
                .await
                .unwrap();
            assert_eq!(
                bot_link.as_deref(),
                Some("https://t.me/otpgram_sandbox_bot")
            );
            std::fs::write(
                dir.join("login-no-code.png"),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
            // Typed whole, the code submits itself (as when the phone fills it in).
            type_into(client, "#code", &code).await;
        } else {
            find(client, "#tap").await.click().await.unwrap();
            let link = attribute_of(client, "#tap-open", "href").await;
            find(client, "#tap-qr svg").await;
            std::fs::write(
                dir.join(format!("login-{lang}-tap.png")),
                client.screenshot().await.unwrap(),
            )
            .unwrap();
            let number = text_of(client, "#tap-number", "the number to press", |t| {
                !t.is_empty()
            })
            .await;
            tap_in_the_sandbox(app, user, &link, &number).await;
        }
        // The browser lands on the shop's callback with a code and the state it sent.
        let query = crate::helpers::eventually(15, "the shop's callback", || async {
            seen.lock().unwrap().get(before).cloned()
        })
        .await;
        let params: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
        assert_eq!(params.get("state"), Some(csrf.secret()), "{query}");
        text_of(client, "h1", "the shop's page", |t| {
            t.contains("Welcome back")
        })
        .await;
        let tokens = rp
            .exchange_code(AuthorizationCode::new(params["code"].clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap();
        let claims = tokens
            .id_token()
            .unwrap()
            .claims(&rp.id_token_verifier(), &nonce)
            .unwrap();
        let phone = if way == "form-code" {
            OTHER_PHONE
        } else {
            PHONE
        };
        assert_eq!(claims.phone_number().unwrap().as_str(), phone, "{way}");
        let amr = claims.auth_method_refs().unwrap()[0].as_str().to_string();
        assert_eq!(
            amr,
            if way.ends_with("code") {
                "otp"
            } else {
                "telegram"
            },
            "{lang} {way}"
        );
    }
    plain.close().await.unwrap();
    // Signed in once, the browser goes through without a page (single sign-on).
    let before = seen.lock().unwrap().len();
    let (url, csrf, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .url();
    client.goto(url.as_str()).await.unwrap();
    let query = crate::helpers::eventually(15, "the shop's callback, at once", || async {
        seen.lock().unwrap().get(before).cloned()
    })
    .await;
    assert!(query.contains("code="), "{query}");
    assert!(
        query.contains(&format!("state={}", csrf.secret())),
        "{query}"
    );
    // And on a phone.
    client.set_window_size(390, 844).await.unwrap();
    let (url, _, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_extra_param("prompt", "login")
        .set_pkce_challenge(PkceCodeChallenge::new_random_sha256().0)
        .url();
    client.goto(url.as_str()).await.unwrap();
    find(client, "#tap").await;
    std::fs::write(
        dir.join("login-phone.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    client.set_window_size(1280, 900).await.unwrap();
    user
}

/// A pretend user of the sandbox who pressed /start and shared `phone`.
async fn linked_sandbox_user(app: &TestApp, name: &str, phone: &str) -> i64 {
    let created: serde_json::Value = app
        .post_json(
            "/sandbox/api/users",
            json!({ "first_name": name, "phone": phone, "language": "en" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let user = created["id"].as_i64().unwrap();
    app.post_json(
        &format!("/sandbox/api/chats/{user}/messages"),
        json!({ "from": user, "text": "/start" }),
    )
    .await;
    app.post_json("/sandbox/api/contact", json!({ "from": user }))
        .await;
    crate::helpers::eventually(10, "the phone linked", || async {
        app.sandbox_chat(user)
            .await
            .iter()
            .any(|m| m["text"].as_str().is_some_and(|t| t.contains("is linked")))
            .then_some(())
    })
    .await;
    user
}

/// Plays the customer's Telegram side of a one-tap login through the sandbox: opens the link
/// in `user`'s chat and picks `number`, the one the login page shows.
async fn tap_in_the_sandbox(app: &TestApp, user: i64, link: &str, number: &str) {
    let payload = link.split_once("?start=").unwrap().1.to_string();
    let said = app
        .post_json(
            &format!("/sandbox/api/chats/{user}/messages"),
            json!({ "from": user, "text": format!("/start {payload}") }),
        )
        .await;
    assert!(said.status().is_success());
    let login_id = payload.split('_').nth(1).unwrap();
    let approve = format!("login_pick:{login_id}:{number}");
    let confirmation = crate::helpers::eventually(10, "the confirmation", || async {
        app.sandbox_chat(user).await.into_iter().rev().find(|m| {
            m["reply_markup"]["inline_keyboard"][0]
                .as_array()
                .is_some_and(|row| row.iter().any(|b| b["callback_data"] == approve.as_str()))
        })
    })
    .await;
    let pressed = app
        .post_json(
            &format!("/sandbox/api/chats/{user}/press"),
            json!({ "from": user, "message_id": confirmation["id"], "data": approve }),
        )
        .await;
    assert!(pressed.status().is_success());
}

/// A shop's own page with the widget: the login opens in a popup, and the page gets a code and
/// its PKCE verifier, which its backend trades for a valid ID token.
async fn widget_popup(app: &TestApp, client: &Client, user: i64) {
    use openidconnect::{
        AuthorizationCode, ClientId, IssuerUrl, Nonce, PkceCodeVerifier, RedirectUrl,
        TokenResponse,
        core::{CoreClient, CoreProviderMetadata},
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let callback = format!("{origin}/callback");
    let (client_id, _) = crate::oidc::register(app, "public", &callback).await;
    let page = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>Bozor.uz</title>
        <script src="{otpgram}/widget.js"></script></head><body>
        <button id="login" type="button">Log in</button><pre id="result"></pre>
        <script>
          document.getElementById("login").onclick = async () => {{
            const answer = await otpgram.login({{ clientId: "{client_id}", redirectUri: "{callback}", locale: "en", prompt: "login" }});
            document.getElementById("result").textContent = JSON.stringify(answer);
          }};
        </script></body></html>"#,
        otpgram = app.address,
    );
    let router = axum::Router::new().route(
        "/shop",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    client.goto(&format!("{origin}/shop")).await.unwrap();
    let shop_window = client.window().await.unwrap();
    find(client, "#login").await.click().await.unwrap();
    // The popup: otpgram's page, in the window the widget opened.
    let popup = crate::helpers::eventually(10, "the login popup", || async {
        client
            .windows()
            .await
            .unwrap()
            .into_iter()
            .find(|w| *w != shop_window)
    })
    .await;
    client.switch_to_window(popup).await.unwrap();
    find(client, "#tap").await.click().await.unwrap();
    let link = attribute_of(client, "#tap-open", "href").await;
    std::fs::write(
        screenshot_dir().join("widget-popup.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    let number = text_of(client, "#tap-number", "the number to press", |t| {
        !t.is_empty()
    })
    .await;
    tap_in_the_sandbox(app, user, &link, &number).await;
    // The popup hands the code to the shop's page and closes itself.
    crate::helpers::eventually(10, "the popup to close", || async {
        (client.windows().await.unwrap().len() == 1).then_some(())
    })
    .await;
    client.switch_to_window(shop_window).await.unwrap();
    let result = text_of(client, "#result", "the widget's answer", |t| {
        t.contains("code")
    })
    .await;
    let answer: serde_json::Value = serde_json::from_str(&result).unwrap();

    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .unwrap();
    let rp = CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), None)
        .set_redirect_uri(RedirectUrl::new(callback).unwrap());
    let tokens = rp
        .exchange_code(AuthorizationCode::new(
            answer["code"].as_str().unwrap().into(),
        ))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(
            answer["codeVerifier"].as_str().unwrap().into(),
        ))
        .request_async(&http)
        .await
        .unwrap();
    let nonce = Nonce::new(answer["nonce"].as_str().unwrap().into());
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&rp.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.phone_number().unwrap().as_str(), PHONE);
}

const PHONE: &str = "+998907770011";
const OTHER_PHONE: &str = "+998907770022";

/// The login codes the sandbox chat of `user` shows, oldest first.
async fn codes(app: &TestApp, user: i64) -> Vec<String> {
    app.sandbox_chat(user)
        .await
        .iter()
        .filter_map(|m| crate::helpers::code_in(m["text"].as_str().unwrap_or_default()))
        .collect()
}
