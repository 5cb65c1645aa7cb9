//! A Telegram sandbox for trying otpgram without a bot token (development only).
//!
//! With `APP_ENV=development` and no `TELEGRAM_BOT_TOKEN`, otpgram runs its real bot — the same
//! handler tree, texts and buttons — against a Bot API served by the process itself
//! ([`bot_api`], reached over HTTP exactly as Telegram would be), and a page at `/sandbox`
//! ([`page`]) plays the Telegram app for any number of pretend users and groups
//! ([`world`]); a pretend Gateway API ([`gateway`]) brings codes to those who never opened the
//! bot. None is mounted in production or when a token is set.

pub(crate) mod bot_api;
pub(crate) mod gateway;
pub(crate) mod page;
pub(crate) mod world;

use axum::{
    Router,
    routing::{get, post},
};

pub(crate) use bot_api::TOKEN;
pub(crate) use world::World;

/// The sandbox's shared state.
#[derive(Clone, Default)]
pub(crate) struct Sandbox {
    pub world: World,
}

/// The path the bot's API URL points at (`<base>/bot<token>/<method>` below it).
pub(crate) const API_PATH: &str = "/sandbox/telegram";

impl Sandbox {
    /// The page, its JSON and the bot's API.
    pub(crate) fn router(&self) -> Router {
        Router::new()
            .route("/sandbox", get(page::page))
            .route("/sandbox/assets/{name}", get(page::file))
            .route("/sandbox/api/world", get(page::world))
            .route("/sandbox/api/users", post(page::add_user))
            .route("/sandbox/api/groups", post(page::add_group))
            .route("/sandbox/api/groups/{id}/members", post(page::join_group))
            .route("/sandbox/api/contact", post(page::share_contact))
            .route(
                "/sandbox/api/chats/{id}/messages",
                get(page::messages).post(page::say),
            )
            .route("/sandbox/api/chats/{id}/press", post(page::press))
            .route("/sandbox/api/events", get(page::events))
            .route("/sandbox/telegram/{bot}/{method}", post(bot_api::call))
            .route("/sandbox/gateway/{method}", post(gateway::call))
            .with_state(self.clone())
    }
}
