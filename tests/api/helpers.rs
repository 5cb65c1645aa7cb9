//! `spawn_app()`: a running otpgram on a random port with its own Redis key prefix, its own
//! database (SQLite file, or a fresh PostgreSQL database when `OTPGRAM_TEST_POSTGRES_URL` is
//! set) and its own fake Telegram.

use std::time::{Duration, Instant};

use fred::prelude::{ClientLike, KeysInterface};
use otpgram::{App, AppState, Config};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{fake_gateway::FakeGateway, telegram::FakeTelegram};

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
pub const SERVICE_KEY: &str = "test-service-key-0123456789";

pub struct TestApp {
    pub address: String,
    pub telegram: FakeTelegram,
    /// A fake Gateway API, answering only if the app was pointed at it
    /// (`env.gateway.settings()`).
    pub gateway: FakeGateway,
    pub state: AppState,
    pub http: reqwest::Client,
    pub redis: fred::clients::Client,
    pub prefix: String,
    _env: TestEnv,
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A fresh database URL: a new PostgreSQL database, or a SQLite file in a temporary folder.
async fn database_url() -> (String, Option<tempfile::TempDir>) {
    if let Ok(server) = std::env::var("OTPGRAM_TEST_POSTGRES_URL") {
        let name = format!("otpgram_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&server)
            .await
            .expect("PostgreSQL answers");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        let _ = admin.close().await;
        let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
        return (format!("{base}/{name}"), None);
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("otpgram.sqlite").display()
    );
    (url, Some(dir))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// What outlives one app: the database, the Redis key prefix and the fake Telegram, so a test
/// can kill an app and start another on the same state.
#[derive(Clone)]
pub struct TestEnv {
    pub telegram: FakeTelegram,
    pub gateway: FakeGateway,
    pub database_url: String,
    pub prefix: String,
    _sqlite_dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

impl TestEnv {
    pub async fn new() -> Self {
        if std::env::var_os("TEST_LOG").is_some() {
            otpgram::init_logs_with(otpgram::LogFormat::Text);
        }
        let (database_url, sqlite_dir) = database_url().await;
        Self {
            telegram: FakeTelegram::start().await,
            gateway: FakeGateway::start().await,
            database_url,
            prefix: format!("test:{}:", uuid::Uuid::new_v4().simple()),
            _sqlite_dir: sqlite_dir.map(std::sync::Arc::new),
        }
    }

    /// The test configuration; `overrides` replace or add variables.
    pub fn config(&self, overrides: &[(&str, &str)]) -> Config {
        let mut vars: Vec<(String, String)> = [
            ("BIND_ADDR", "127.0.0.1:0"),
            ("JWT_SECRET", JWT_SECRET),
            ("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN"),
            ("TELEGRAM_POLL_TIMEOUT_SECONDS", "1"),
            ("DEFAULT_COUNTRY_CODE", "998"),
            ("SITE_LOGIN_URL", "https://shop.example/login"),
            ("COOKIE_SECURE", "true"),
            ("SERVICE_API_KEYS", SERVICE_KEY),
            ("DEFAULT_LANGUAGE", "en"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.push(("REDIS_URL".into(), redis_url()));
        vars.push(("REDIS_KEY_PREFIX".into(), self.prefix.clone()));
        vars.push(("DATABASE_URL".into(), self.database_url.clone()));
        vars.push(("TELEGRAM_API_URL".into(), self.telegram.url.clone()));
        for (k, v) in overrides {
            vars.retain(|(key, _)| key != k);
            vars.push((k.to_string(), v.to_string()));
        }
        Config::from_vars(vars).expect("valid test configuration")
    }
}

/// Starts an app; `overrides` replace or add configuration variables.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_in(TestEnv::new().await, overrides).await
}

pub async fn spawn_app_in(env: TestEnv, overrides: &[(&str, &str)]) -> TestApp {
    spawn_app_until(env, overrides, std::future::pending())
        .await
        .0
}

/// An app that shuts down gracefully (as on SIGTERM) when `shutdown` resolves; the handle
/// resolves once it has stopped, its pools closed.
pub async fn spawn_app_until(
    env: TestEnv,
    overrides: &[(&str, &str)],
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (TestApp, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let app = App::build(env.config(overrides))
        .await
        .expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let running = tokio::spawn(app.run_until(shutdown));

    let redis_config = fred::prelude::Config::from_url(&overrides_redis(overrides)).unwrap();
    let redis = fred::clients::Client::new(redis_config, None, None, None);
    redis.init().await.expect("Redis answers");

    let app = TestApp {
        address,
        telegram: env.telegram.clone(),
        gateway: env.gateway.clone(),
        state,
        http: reqwest::Client::builder().build().unwrap(),
        redis,
        prefix: env.prefix.clone(),
        _env: env,
    };
    (app, running)
}

/// An app on a runtime of its own, so a test can kill it the hard way: every task of it stops
/// at its next await, as if the process died.
pub struct KillableApp {
    runtime: Option<tokio::runtime::Runtime>,
    pub address: String,
}

impl KillableApp {
    pub async fn start(env: &TestEnv, overrides: &[(&str, &str)]) -> Self {
        let config = env.config(overrides);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (port_tx, port_rx) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let app = App::build(config).await.expect("the app starts");
            let _ = port_tx.send(app.port());
            let _ = app.run_until(std::future::pending()).await;
        });
        let port = port_rx.await.expect("the app reports its port");
        Self {
            runtime: Some(runtime),
            address: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Drops the app without any graceful shutdown.
    pub fn kill(mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for KillableApp {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn overrides_redis(overrides: &[(&str, &str)]) -> String {
    overrides
        .iter()
        .find(|(k, _)| *k == "REDIS_URL")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(redis_url)
}

/// Polls `check` until it returns `Some`, failing the test after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The token of an owner link in a shop API answer (`{"owner_link": "…?start=shop_<token>"}`).
pub fn link_token(body: &Value) -> String {
    let link = body["owner_link"].as_str().expect("an owner link");
    link.rsplit_once("start=shop_").unwrap().1.to_string()
}

/// The digits inside `<code>…</code>` of a login-code message.
pub fn code_in(text: &str) -> Option<String> {
    let start = text.find("<code>")? + "<code>".len();
    let end = start + text[start..].find("</code>")?;
    Some(text[start..end].to_string())
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A request from the shop backend, with the service key.
    pub fn service(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(SERVICE_KEY)
    }

    /// Creates a shop; returns its id and owner-link token.
    pub async fn create_shop(&self, name: &str) -> (String, String) {
        let response = self
            .service(reqwest::Method::POST, "/api/v1/shops")
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let token = link_token(&body);
        (body["id"].as_str().unwrap().to_string(), token)
    }

    /// What `GET /metrics` shows (no token is configured in tests).
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// `GET path`, read as JSON (whatever the status).
    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Delivers `update` as Telegram would in webhook mode (as update `id`, with the tests'
    /// secret `hook-secret_1`) and checks it was accepted (`200`).
    pub async fn post_update(&self, id: i64, mut update: Value) {
        update["update_id"] = json!(id);
        let response = self
            .http
            .post(self.url("/telegram/webhook"))
            .header("x-telegram-bot-api-secret-token", "hook-secret_1")
            .json(&update)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// The sandbox chat `chat`'s messages, as its page loads them.
    pub async fn sandbox_chat(&self, chat: i64) -> Vec<Value> {
        let messages = self
            .get_json(&format!("/sandbox/api/chats/{chat}/messages"))
            .await;
        serde_json::from_value(messages).unwrap()
    }

    pub async fn request_code(&self, phone: &str) -> reqwest::Response {
        self.post_json("/api/v1/otp/request", json!({ "phone": phone }))
            .await
    }

    pub async fn verify(&self, phone: &str, code: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/otp/verify",
            json!({ "phone": phone, "code": code }),
        )
        .await
    }

    /// Links `phone` to `user_id` through the bot, as the user would, and waits for the answer.
    pub async fn link(&self, user_id: i64, phone: &str) {
        let before = self.telegram.messages_to(user_id).len();
        self.telegram.share_contact(user_id, Some(user_id), phone);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let msgs = self.telegram.messages_to(user_id);
            if msgs[before.min(msgs.len())..]
                .iter()
                .any(|m| m.text.contains("is linked"))
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the bot never confirmed the link: {msgs:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the `n`-th (1-based) login code sent to `user_id` and returns it.
    pub async fn nth_code_for(&self, user_id: i64, n: usize) -> String {
        eventually(10, "a login code message", || async {
            self.telegram
                .messages_to(user_id)
                .iter()
                .filter_map(|m| code_in(&m.text))
                .nth(n - 1)
        })
        .await
    }

    /// The user row of a phone (E.164), if there is one.
    pub async fn user_row(&self, phone: &str) -> Option<entity::user::Model> {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        entity::user::Entity::find()
            .filter(entity::user::Column::Phone.eq(phone))
            .one(self.state.database())
            .await
            .unwrap()
    }

    /// Links, requests a code and returns it.
    pub async fn linked_code(&self, user_id: i64, phone: &str) -> String {
        self.link(user_id, phone).await;
        let response = self.request_code(phone).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        self.nth_code_for(user_id, 1).await
    }

    /// Every key of this app with its value(s) as text (asking every primary of a cluster).
    pub async fn redis_dump(&self) -> Vec<(String, String)> {
        use fred::{
            interfaces::ClientLike,
            types::{ClusterHash, CustomCommand},
        };
        let pattern = format!("{}*", self.prefix);
        let mut keys: Vec<String> = Vec::new();
        if self.redis.is_clustered() {
            for server in self.redis.active_connections() {
                let found: Vec<String> = self
                    .redis
                    .with_cluster_node(&server)
                    .custom(fred::cmd!("KEYS"), vec![pattern.clone()])
                    .await
                    .unwrap();
                keys.extend(found);
            }
        } else {
            keys = self
                .redis
                .custom(fred::cmd!("KEYS"), vec![pattern])
                .await
                .unwrap();
        }
        // Routed by the key, so a cluster sends each to the node that holds it.
        let by_key = |name: &'static str| CustomCommand::new(name, ClusterHash::FirstKey, false);
        let mut out = Vec::new();
        for key in keys {
            let kind: String = self
                .redis
                .custom(by_key("TYPE"), vec![key.clone()])
                .await
                .unwrap();
            let value = match kind.as_str() {
                "string" => self
                    .redis
                    .get::<Option<String>, _>(&key)
                    .await
                    .unwrap()
                    .unwrap_or_default(),
                "hash" => {
                    let all: Vec<String> = self
                        .redis
                        .custom(by_key("HGETALL"), vec![key.clone()])
                        .await
                        .unwrap();
                    all.join(" ")
                }
                other => format!("<{other}>"),
            };
            out.push((key, value));
        }
        out
    }
}
