//! Building and running the whole service: HTTP API, bot and background tasks in one process.
//! `main` and the tests call the same [`App::build`].

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context;

use crate::config::TelegramMode;

use teloxide::Bot;
use tokio::net::TcpListener;

use crate::{
    bot,
    config::Config,
    core::session::Tokens,
    core::{gateway::Gateway, notify},
    crypto::CodeHasher,
    sandbox::{self, Sandbox},
    state::{AppState, Shared},
    store::{RedisStore, sql},
    tasks::Tasks,
    telegram::TelegramClient,
    telegram::pacer::Pacer,
};

pub struct App {
    listener: TcpListener,
    state: AppState,
    bot: Bot,
}

impl App {
    /// Connects to Redis and the database, runs migrations, and binds the listener (port 0 picks
    /// a free port).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        // Installed before anything counts.
        crate::meters::handle();
        let redis = RedisStore::connect(&config.redis)
            .await
            .context("connecting to Redis (REDIS_URL)")?;
        let db = sql::connect(&config.database.url, &config.database.pool)
            .await
            .context("opening the database (DATABASE_URL)")?;
        let listener = TcpListener::bind(config.http.bind_addr).await?;
        // Without a token (development only: production refuses to start) the bot talks to the
        // sandbox this process serves, over HTTP like any Bot API.
        let (bot, sandbox) = match &config.telegram.bot_token {
            Some(token) => (
                Bot::new(token.expose()).set_api_url(config.telegram.api_url.clone()),
                None,
            ),
            None => {
                let port = listener.local_addr()?.port();
                let url = format!("http://127.0.0.1:{port}{}", sandbox::API_PATH).parse()?;
                tracing::warn!(
                    "TELEGRAM_BOT_TOKEN is not set: the bot runs against the Telegram sandbox at \
                     http://localhost:{port}/sandbox (development only)"
                );
                (
                    Bot::new(sandbox::TOKEN).set_api_url(url),
                    Some(Sandbox::default()),
                )
            }
        };
        let pacer = Arc::new(Pacer::new(&config.notify));
        let mut telegram = TelegramClient::new(bot.clone(), pacer.clone());
        if sandbox.is_some() {
            // The sandbox's bot is known without a call (the CLI builds an app it never serves).
            telegram = telegram.know(serde_json::from_value(sandbox::world::bot_me())?);
        }
        if let Some(review) = &config.otp.test_phones {
            if chrono::Utc::now() < review.valid_until {
                tracing::warn!(
                    count = review.codes.len(),
                    valid_until = %review.valid_until,
                    "TEST_PHONES active: these numbers log in with a fixed code and get no Telegram message"
                );
            } else {
                tracing::warn!(valid_until = %review.valid_until, "TEST_PHONES expired: ignored");
            }
        }
        // Without OIDC_ISSUER, development names itself by the address it listens on.
        let issuer = config.login.oidc_issuer.clone().or_else(|| {
            let addr = listener.local_addr().ok()?;
            (!config.is_production()).then(|| {
                let host = if addr.ip().is_unspecified() {
                    "localhost".to_string()
                } else {
                    addr.ip().to_string()
                };
                format!("http://{host}:{}", addr.port())
            })
        });
        let keys =
            crate::core::oidc::keys::SigningKeys::new(config.auth.jwt_secret.expose().as_bytes());
        let tasks = Tasks::new(config.notify.drain);
        // The sandbox brings its pretend Gateway along, so the first minute shows both channels.
        let port = listener.local_addr()?.port();
        let gateway_config = config.gateway.or_else(|| {
            sandbox.as_ref().map(|_| crate::config::GatewayConfig {
                token: crate::config::Secret::new(sandbox::gateway::GATEWAY_TOKEN),
                url: format!("http://127.0.0.1:{port}{}/", sandbox::gateway::GATEWAY_PATH)
                    .parse()
                    .expect("a URL"),
                country_codes: (1..=9).map(|d| d.to_string()).collect(),
                max_sends_per_hour: 1000,
                low_balance: 0.0,
                pause: std::time::Duration::from_secs(60),
                callback_url: None,
            })
        });
        let gateway = gateway_config.map(|gateway| {
            tracing::info!(
                countries = %gateway.country_codes.join(","),
                max_per_hour = gateway.max_sends_per_hour,
                reports = gateway.callback_url.is_some(),
                "Telegram Gateway on: codes the bot cannot deliver go through it"
            );
            Gateway::new(gateway, redis.clone(), tasks.clone())
        });
        let hasher = CodeHasher::new(config.auth.jwt_secret.expose().as_bytes());
        let profiles = crate::core::profile::Profiles::new(
            db.clone(),
            redis.clone(),
            config.auth.session_max_age,
        );
        let oidc = crate::core::oidc::Oidc::new(crate::core::oidc::Handles {
            issuer,
            keys,
            db: db.clone(),
            redis: redis.clone(),
            profiles: profiles.clone(),
            hasher: hasher.clone(),
            production: config.login.production,
            default_language: config.telegram.default_language,
        });
        let login_sessions = crate::core::login_session::LoginSessions::new(
            redis.clone(),
            hasher.clone(),
            config.login.session_ttl,
        );
        let sessions = crate::core::session::Sessions::new(
            Tokens::new(&config.auth),
            redis.clone(),
            login_sessions.clone(),
        );
        let codes = crate::core::otp::Codes::new(crate::core::otp::Handles {
            policy: config.otp.clone(),
            bot_codes_per_minute: config.legacy.bot_codes_per_minute,
            hasher: hasher.clone(),
            redis: redis.clone(),
            profiles: profiles.clone(),
            telegram: telegram.clone(),
            gateway: gateway.clone(),
            sessions: sessions.clone(),
            tasks: tasks.clone(),
            default_language: config.telegram.default_language,
            site_login_url: config.telegram.site_login_url.clone(),
        });
        let bindings = crate::core::binding::Bindings::new(
            profiles.clone(),
            redis.clone(),
            telegram.clone(),
            tasks.clone(),
            sessions.clone(),
            codes.clone(),
            config.telegram.default_language,
        );
        let one_tap = crate::core::one_tap::OneTap::new(crate::core::one_tap::Handles {
            redis: redis.clone(),
            hasher: hasher.clone(),
            telegram: telegram.clone(),
            profiles: profiles.clone(),
            sessions: sessions.clone(),
            link_ttl: config.login.link_ttl,
            settled: Default::default(),
        });
        let notifications = crate::core::notify::Notifications::new(crate::core::notify::Handles {
            db: db.clone(),
            redis: redis.clone(),
            telegram: telegram.clone(),
            pacer: pacer.clone(),
            policy: config.notify.clone(),
            default_language: config.telegram.default_language,
            tasks: tasks.clone(),
        });
        let shops = crate::core::shops::Shops::new(
            db.clone(),
            telegram.clone(),
            config.notify.shop_link_ttl,
        );
        let state = AppState::new(Shared {
            bindings,
            codes,
            notifications,
            shops,
            profiles,
            login_sessions,
            oidc,
            sessions,
            hasher,
            http: config.http,
            bot: config.telegram,
            otp: config.otp,
            legacy: config.legacy,
            login: config.login,
            redis,
            db,
            telegram,
            pacer,
            sandbox,
            tasks,
            gateway,
            one_tap,
        });
        Ok(Self {
            listener,
            state,
            bot,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests and stops the bot.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App {
            listener,
            state,
            bot,
        } = self;
        notify::start(state.notifications.clone());
        match &state.bot.mode {
            TelegramMode::Polling => bot::start(bot, state.clone()),
            TelegramMode::Webhook { url, secret } => {
                bot::webhook::register(bot, url.clone(), secret.clone(), &state.tasks)
            }
        }
        let stop = state.tasks.signal();
        state.tasks.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
            loop {
                tokio::select! {
                    _ = tick.tick() => crate::meters::upkeep(),
                    _ = stop.cancelled() => return,
                }
            }
        });
        tracing::info!(addr = %listener.local_addr()?, "otpgram is listening");
        let router = crate::router::router(state.clone());
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await?;
        // The bot lets the update in hand finish and hands its lease on, the worker drains its
        // claimed sends: all before the stores close.
        state.tasks.stop().await;
        state.redis.quit().await;
        let _ = state.db.close_by_ref().await;
        tracing::info!("otpgram stopped");
        Ok(())
    }
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
