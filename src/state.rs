//! The handles every part of the service shares. Cloning an `AppState` (axum does it for every
//! request) is one reference-count increment.

use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;

use crate::{
    config::{HttpConfig, LegacyConfig, LoginConfig, OtpPolicy, TelegramConfig},
    crypto::CodeHasher,
    sandbox::Sandbox,
    store::RedisStore,
    tasks::Tasks,
    telegram::{TelegramClient, pacer::Pacer},
};

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// Components, and the configuration sections read while serving (the rest of the
/// configuration, secrets included, is consumed by [`crate::App::build`]).
pub struct Shared {
    pub(crate) http: HttpConfig,
    /// The bot's settings: polling or webhook, the default language, the site's login page.
    pub(crate) bot: TelegramConfig,
    pub(crate) otp: OtpPolicy,
    pub(crate) legacy: LegacyConfig,
    pub(crate) login: LoginConfig,
    pub(crate) redis: RedisStore,
    pub(crate) db: DatabaseConnection,
    /// Every message otpgram sends to Telegram.
    pub(crate) telegram: TelegramClient,
    /// Keeps every message the process sends within Telegram's limits.
    pub(crate) pacer: Arc<Pacer>,
    /// Which account each phone is linked to.
    pub(crate) bindings: crate::core::binding::Bindings,
    /// Login codes: issuing, checking, delivering.
    pub(crate) codes: crate::core::otp::Codes,
    /// The shop sites' sessions (JWT pairs, rotation, revocation).
    pub(crate) sessions: crate::core::session::Sessions,
    /// The Telegram sandbox, in development without a bot token.
    pub(crate) sandbox: Option<Sandbox>,
    /// The background tasks, stopped together.
    pub(crate) tasks: Tasks,
    pub(crate) hasher: CodeHasher,
    /// Shops, owner links and their chats.
    pub(crate) shops: crate::core::shops::Shops,
    /// Customers' records, as the front doors read and change them.
    pub(crate) profiles: crate::core::profile::Profiles,
    /// The hosted page's login sessions (single sign-on).
    pub(crate) login_sessions: crate::core::login_session::LoginSessions,
    /// OpenID Connect: the issuer and the signing keys.
    pub(crate) oidc: crate::core::oidc::Oidc,
    /// The second channel for codes (Telegram's Gateway API), when configured.
    pub(crate) gateway: Option<crate::core::gateway::Gateway>,
    /// Order notifications and their worker.
    pub(crate) notifications: crate::core::notify::Notifications,
    /// One-tap logins.
    pub(crate) one_tap: crate::core::one_tap::OneTap,
}

impl AppState {
    pub(crate) fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// The SQL database (the truth: users, shops, orders), for tests that read rows.
    pub fn database(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
