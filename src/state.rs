//! The handles every part of the service shares; cheap to clone.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::{config::Config, courier::Courier, crypto::CodeHasher, session::Tokens, store::Store};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub db: DatabaseConnection,
    pub courier: Courier,
    pub tokens: Tokens,
    pub hasher: CodeHasher,
}
