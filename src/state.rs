//! The handles every part of the service shares. Cloning an `AppState` (axum does it for every
//! request) is one reference-count increment.

use std::{ops::Deref, sync::Arc};

use sea_orm::DatabaseConnection;

use crate::{
    config::Config,
    crypto::CodeHasher,
    sandbox::Sandbox,
    session::Tokens,
    store::RedisStore,
    tasks::Tasks,
    telegram::{TelegramClient, pacer::Pacer},
};

#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub config: Arc<Config>,
    pub redis: RedisStore,
    pub db: DatabaseConnection,
    /// Every message otpgram sends to Telegram.
    pub telegram: TelegramClient,
    /// Keeps every message the process sends within Telegram's limits.
    pub pacer: Arc<Pacer>,
    pub tokens: Tokens,
    /// The Telegram sandbox, in development without a bot token.
    pub sandbox: Option<Sandbox>,
    /// The background tasks, stopped together.
    pub tasks: Tasks,
    pub hasher: CodeHasher,
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
