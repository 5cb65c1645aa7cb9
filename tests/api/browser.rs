//! A real browser on the sandbox page: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, driven over WebDriver) creates a pretend user, shares the phone, asks for a
//! code in the page's site panel, reads it from the rendered chat, logs in and sees the user.
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
    let mut chrome = json!({
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--disable-gpu", "--window-size=1280,900"],
    });
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

#[tokio::test]
#[ignore = "needs chromium and chromedriver (CHROMEDRIVER=path); run by scripts/test"]
async fn a_browser_logs_in_through_the_sandbox_page() {
    let app: TestApp = spawn_app_with(&[("TELEGRAM_BOT_TOKEN", "")]).await;
    let driver = start_driver().await;
    let client = browser(&driver).await;
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
    find(&client, "#messages button[data-callback^='login_ok:']")
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
    // And as on a phone.
    client.set_window_size(390, 844).await.unwrap();
    std::fs::write(
        dir.join("sandbox-phone.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    eprintln!("screenshots: {}", dir.display());
    client.close().await.unwrap();
}
