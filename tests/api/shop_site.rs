//! A real shop's bot and site on the first older shape, replayed request by request as they send
//! them: the bot asks for codes, the site registers, reloads (`me/`), edits the profile and
//! logs out, from its own origin with credentials.

use reqwest::{Method, RequestBuilder, Response, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};

const BOT_SECRET: &str = "legacy-bot-secret-0123";
const SITE: &str = "https://shop.example";
const TG: i64 = 9911;
const PHONE: &str = "+998901234567";

async fn shop_app() -> TestApp {
    spawn_app_with(&[("BOT_SECRET", BOT_SECRET), ("CORS_ALLOWED_ORIGINS", SITE)]).await
}

/// What the shop's bot sends when a customer shares their phone or presses "New code" (the
/// id as a string and the phone without `+`, as that bot writes them).
async fn bot_creates_code(
    app: &TestApp,
    telegram_id: i64,
    phone: &str,
    full_name: Option<&str>,
) -> Value {
    let mut body = json!({
        "secret_key": BOT_SECRET, "telegram_id": telegram_id.to_string(),
        "phone_number": phone.trim_start_matches('+'),
    });
    if let Some(name) = full_name {
        body["full_name"] = json!(name);
    }
    let response = app
        .http
        .post(app.url("/api/v1/auth/telegram/otp/create/"))
        .header(header::USER_AGENT, "python-telegram-bot/21.0")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// The bot asks for a code and the site registers the customer with it: the `201` body.
async fn register(app: &TestApp, telegram_id: i64, phone: &str) -> Value {
    let created = bot_creates_code(app, telegram_id, phone, None).await;
    let response = app
        .post_json(
            "/api/v1/auth/register/telegram/",
            json!({ "phone": phone, "code": created["code"] }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// `GET /api/v1/auth/me/` with an access token, outside any browser.
async fn me_with(app: &TestApp, access: &Value) -> reqwest::Response {
    app.http
        .get(app.url("/api/v1/auth/me/"))
        .bearer_auth(access.as_str().unwrap())
        .send()
        .await
        .unwrap()
}

/// The browser on the shop's site: `fetch(url, {credentials: "include"})`, which sends the
/// cookies it holds for otpgram and, cross-origin, a preflight first when the request needs one.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: Vec<(String, String)>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            cookies: Vec::new(),
        }
    }

    /// The CORS preflight the browser sends before a request with JSON or `Authorization`.
    async fn preflight(&self, method: &str, path: &str, headers: &str) {
        let response = self
            .app
            .http
            .request(Method::OPTIONS, self.app.url(path))
            .header(header::ORIGIN, SITE)
            .header("access-control-request-method", method)
            .header("access-control-request-headers", headers)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{method} {path}");
        let allowed = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_ascii_lowercase())
                .unwrap_or_default()
        };
        assert_eq!(allowed("access-control-allow-origin"), SITE);
        assert_eq!(allowed("access-control-allow-credentials"), "true");
        assert!(
            allowed("access-control-allow-methods").contains(&method.to_ascii_lowercase()),
            "{method} {path}: {}",
            allowed("access-control-allow-methods")
        );
        for header in headers.split(',') {
            assert!(allowed("access-control-allow-headers").contains(header.trim()));
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        // Cookie paths as the browser applies them.
        let cookie = self
            .cookies
            .iter()
            .filter(|(name, _)| {
                name != "refresh_token" || path.starts_with("/api/v1/auth/refresh/")
            })
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut request = self
            .app
            .http
            .request(method, self.app.url(path))
            .header(header::ORIGIN, SITE)
            .header(header::REFERER, format!("{SITE}/account"));
        if !cookie.is_empty() {
            request = request.header(header::COOKIE, cookie);
        }
        request
    }

    /// Keeps (or, expired, drops) the cookies a response sets.
    fn keep_cookies(&mut self, response: &Response) {
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(kept, _)| kept != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_string(), value.to_string()));
            }
        }
    }

    fn has_cookie(&self, name: &str) -> bool {
        self.cookies.iter().any(|(kept, _)| kept == name)
    }
}

/// The site's session code: tokens from `register/telegram/` in its storage, the cookies in
/// the browser.
struct Site {
    access: String,
    refresh: String,
}

impl Site {
    async fn me(&self, browser: &Browser<'_>) -> Response {
        browser
            .preflight("GET", "/api/v1/auth/me/", "authorization")
            .await;
        browser
            .request(Method::GET, "/api/v1/auth/me/")
            .bearer_auth(&self.access)
            .send()
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_shops_site_stays_logged_in_through_reload_profile_edit_and_logout() {
    let app = shop_app().await;
    let mut browser = Browser::new(&app);

    // The customer shares their phone with the shop's bot, which asks for a code.
    let created = bot_creates_code(&app, TG, PHONE, Some("Aziza Karimova")).await;
    let code = created["code"].as_str().unwrap();

    // The site registers them.
    browser
        .preflight("POST", "/api/v1/auth/register/telegram/", "content-type")
        .await;
    let registered = browser
        .request(Method::POST, "/api/v1/auth/register/telegram/")
        .json(&json!({ "phone": PHONE, "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::CREATED);
    browser.keep_cookies(&registered);
    assert!(browser.has_cookie("access_token") && browser.has_cookie("refresh_token"));
    let body: Value = registered.json().await.unwrap();
    let user = &body["data"]["user"];
    assert_eq!(user["phone_number"], PHONE);
    assert_eq!(user["full_name"], "Aziza Karimova");
    assert_eq!(user["display_name"], "Aziza Karimova");
    assert_eq!(user["telegram_id"], TG);
    assert_eq!(user["is_verified"], true);
    assert!(user["last_login"].is_string() && user["created_at"].is_string());
    let user_id = user["id"].clone();
    let site = Site {
        access: body["data"]["tokens"]["access"]
            .as_str()
            .unwrap()
            .to_string(),
        refresh: body["data"]["tokens"]["refresh"]
            .as_str()
            .unwrap()
            .to_string(),
    };

    // Next page load: the site asks who is logged in.
    let me = site.me(&browser).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(
        me.headers()["access-control-allow-origin"],
        SITE,
        "the site's script may read the answer"
    );
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["id"], user_id);
    assert_eq!(me["display_name"], "Aziza Karimova");
    assert_eq!(
        me["language"], "en",
        "the service default until the customer picks one"
    );
    // The access cookie alone works too (a page rendered by the site's server-side proxy).
    let by_cookie = browser
        .request(Method::GET, "/api/v1/auth/me/")
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), StatusCode::OK);

    // The customer edits their profile; fields the site does not own are ignored.
    browser
        .preflight("PATCH", "/api/v1/auth/me/", "authorization, content-type")
        .await;
    let patch = |body: Value| {
        browser
            .request(Method::PATCH, "/api/v1/auth/me/")
            .bearer_auth(&site.access)
            .json(&body)
            .send()
    };
    let changed = patch(json!({ "full_name": " Aziza K. ", "language": "ru", "phone_number": "+998900000000", "is_verified": false })).await.unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(changed["full_name"], "Aziza K.");
    assert_eq!(changed["language"], "ru");
    assert_eq!(changed["phone_number"], PHONE);
    assert_eq!(changed["is_verified"], true);
    let refused = patch(json!({ "full_name": "", "language": "de" }))
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({
            "full_name": ["This field may not be blank."],
            "language": ["\"de\" is not a valid choice."],
        })
    );
    let reloaded: Value = site.me(&browser).await.json().await.unwrap();
    assert_eq!(
        reloaded["full_name"], "Aziza K.",
        "a refused edit changes nothing"
    );
    // The language chosen on the site is the one the next code arrives in.
    let row = app.user_row(PHONE).await.unwrap();
    assert_eq!(row.language.as_deref(), Some("ru"));
    assert_eq!(app.request_code(PHONE).await.status(), StatusCode::ACCEPTED);
    app.telegram
        .wait_for_message(TG, "a code in Russian", |t| t.contains("Ваш код для входа"))
        .await;

    // Logout: a wrong refresh token is refused and ends nothing.
    browser
        .preflight(
            "POST",
            "/api/v1/auth/logout/",
            "authorization, content-type",
        )
        .await;
    let logout = |refresh: Value| {
        browser
            .request(Method::POST, "/api/v1/auth/logout/")
            .bearer_auth(&site.access)
            .json(&json!({ "refresh": refresh }))
            .send()
    };
    let bad = logout(json!("not-a-token")).await.unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json::<Value>().await.unwrap(),
        json!({ "success": false, "error": { "message": "Invalid or expired refresh token" } })
    );
    assert_eq!(site.me(&browser).await.status(), StatusCode::OK);

    let out = logout(json!(site.refresh)).await.unwrap();
    assert_eq!(out.status(), StatusCode::OK);
    browser.keep_cookies(&out);
    assert!(!browser.has_cookie("access_token") && !browser.has_cookie("refresh_token"));
    let out: Value = out.json().await.unwrap();
    assert_eq!(out["success"], true);
    assert!(out["message"].is_string());

    // Next page load: 401 in the shape the site drops its tokens on, and the refresh token is
    // dead too.
    let gone = site.me(&browser).await;
    assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
    let detail: Value = gone.json().await.unwrap();
    assert!(detail["detail"].is_string(), "{detail}");
    assert_eq!(detail.as_object().unwrap().len(), 1);
    let refreshed = browser
        .request(Method::POST, "/api/v1/auth/refresh/")
        .json(&json!({ "refresh": site.refresh }))
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_site_endpoints_refuse_strangers_in_their_shape() {
    let app = shop_app().await;
    // No token at all, and a made-up one.
    let anonymous = app
        .http
        .get(app.url("/api/v1/auth/me/"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key(header::WWW_AUTHENTICATE));
    assert_eq!(
        anonymous.json::<Value>().await.unwrap(),
        json!({ "detail": "Authentication credentials were not provided." })
    );
    let forged = app
        .http
        .patch(app.url("/api/v1/auth/me/"))
        .bearer_auth("eyJhbGciOiJub25lIn0.e30.")
        .json(&json!({ "full_name": "Mallory" }))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);

    // A logged-in customer's cookie, ridden by another site's page.
    let registered = register(&app, TG, PHONE).await;
    let tokens = &registered["data"]["tokens"];
    let access = tokens["access"].as_str().unwrap();
    for (method, path) in [
        (Method::PATCH, "/api/v1/auth/me/"),
        (Method::POST, "/api/v1/auth/logout/"),
    ] {
        let ridden = app
            .http
            .request(method.clone(), app.url(path))
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, format!("access_token={access}"))
            .json(&json!({ "full_name": "Mallory", "refresh": tokens["refresh"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(ridden.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert!(ridden.json::<Value>().await.unwrap()["detail"].is_string());
    }
    // An oversized body is refused in the shape, before anything is read or changed.
    let oversized = app
        .http
        .patch(app.url("/api/v1/auth/me/"))
        .bearer_auth(access)
        .json(&json!({ "full_name": "x".repeat(17 * 1024) }))
        .send()
        .await
        .unwrap();
    assert_eq!(oversized.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(oversized.json::<Value>().await.unwrap()["detail"].is_string());
    // Another user's refresh token does not log this one out.
    let other = register(&app, TG + 1, "+998901234568").await;
    let crossed = app
        .http
        .post(app.url("/api/v1/auth/logout/"))
        .bearer_auth(access)
        .json(&json!({ "refresh": other["data"]["tokens"]["refresh"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(crossed.status(), StatusCode::BAD_REQUEST);
    let others_session = me_with(&app, &other["data"]["tokens"]["access"]).await;
    assert_eq!(others_session.status(), StatusCode::OK);
    // No name anywhere: the masked phone is what the site shows.
    let me: Value = me_with(&app, &tokens["access"]).await.json().await.unwrap();
    assert_eq!(me["full_name"], Value::Null);
    assert_eq!(me["display_name"], "+99890*****67");
}

#[tokio::test]
async fn names_from_telegram_show_until_the_shop_gives_one() {
    let app = shop_app().await;
    // Linked in otpgram's own bot: Telegram's first and last name.
    app.link(TG, "998901234567").await;
    let registered = register(&app, TG, PHONE).await;
    let user = &registered["data"]["user"];
    assert_eq!(user["full_name"], "Ann Lee");
    assert_eq!(user["username"], format!("user{TG}"));
    assert_eq!(user["language"], "en");

    // The shop's bot knows the customer by another name: it wins, and a later Telegram
    // link does not undo it.
    let _ = bot_creates_code(&app, TG, PHONE, Some("Aziza Karimova")).await;
    app.link(TG, "998901234567").await;
    let row = app.user_row(PHONE).await.unwrap();
    assert_eq!(row.full_name.as_deref(), Some("Aziza Karimova"));
    assert_eq!(row.first_name.as_deref(), Some("Ann"));
    // The JSON API's user carries it too.
    let code = app.linked_code(TG, "+998901234567").await;
    let session: Value = app.verify(PHONE, &code).await.json().await.unwrap();
    assert_eq!(session["user"]["full_name"], "Aziza Karimova");

    // A name that is not one is refused, naming the field.
    let refused = app
        .post_json(
            "/api/v1/auth/telegram/otp/create/",
            json!({ "secret_key": BOT_SECRET, "telegram_id": TG, "phone_number": PHONE, "full_name": "a\u{7}b" }),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("full_name"),
        "{body}"
    );
}
