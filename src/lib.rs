//! otpgram: log shop customers in with one-time codes delivered by Telegram.
//!
//! ```text
//! browsers ─► pages/   ─┐                       ┌─► store/redis/ (hot, short-lived; shared by replicas)
//! shops ────► api/     ─┼─► core/ (otp, gateway, ┤
//! Telegram ─► bot/     ─┤   binding, session,    └─► store/sql/   (the truth: users, shops, orders)
//! developers► sandbox/ ─┘   one_tap, oidc, notify, shops, ...)
//!                              ├─► telegram/ (Bot API client, paced; Gateway API)
//!                              └─► texts/ (every text a person reads, from locales/)
//! ```
//!
//! Four front doors (`pages`, `api`, `bot`, `sandbox`) over one `core` and two stores
//! (`store::redis`, `store::sql`); only the core reaches the stores. The three HTTP ones are
//! mounted side by side by `router`, and share `http` (errors, extractors, cookies, guards,
//! limits, layers). `config` is read once, in
//! sections; `domain` holds the values that are known good once parsed (phones, names,
//! languages, Telegram ids, users); the core is components (`Codes`, `Bindings`, `Sessions`,
//! `LoginSessions`, `OneTap`, `Oidc`, `Notifications`, `Shops`, `Profiles`), each owning exactly
//! the handles it needs, and `state::AppState` lists them with the sections read while
//! serving; `tasks` is the only place that spawns, and stops every task together.
//!
//! Everything is `pub(crate)` (`unreachable_pub` keeps it so) except what `main`, the tests and
//! the bench use, exported below. Where a newcomer adds a channel, an endpoint or a text: the
//! README's "Where to add things".

#![warn(unreachable_pub)]

mod addresses;
mod api;
mod app;
mod assets;
mod bot;
mod config;
mod core;
mod crypto;
mod domain;
mod error;
mod health;
mod http;
mod meters;
mod pages;
mod router;
mod sandbox;
mod state;
mod store;
mod tasks;
mod telegram;
mod telemetry;
mod texts;

// What `main`, the tests and the bench use; everything else is the crate's own
// (`unreachable_pub` keeps it so).
pub use app::{App, shutdown_signal};
pub use config::{Config, LogFormat};
pub use domain::{ChatId, Phone, TelegramId};
pub use state::AppState;
pub use telemetry::{init as init_logs, init_with as init_logs_with};

/// The commands beside the service (`otpgram migrate`, `check`, `shop create`, `keys rotate`)
/// and imports: thin doors onto the components, for `main`, the tests and the bench.
pub mod ops {
    use crate::{
        core::shops::{NewLink, ShopRecord},
        domain::{Phone, TelegramId},
        error::Result,
        state::AppState,
    };

    pub use crate::{health::check, store::sql::migrate};

    /// Links many phones at once (a shop moving its customers over; the bench's seed).
    pub async fn import_bindings(state: &AppState, pairs: &[(Phone, TelegramId)]) -> Result<()> {
        state.bindings.import(pairs).await
    }

    /// `otpgram shop create`: a new shop and its first owner link.
    pub async fn create_shop(state: &AppState, name: &str) -> Result<(ShopRecord, NewLink)> {
        state.shops.create(name).await
    }

    /// The bot's deep link for an owner link's token.
    pub async fn owner_deep_link(state: &AppState, token: &str) -> Result<String> {
        state.shops.owner_deep_link(token).await
    }

    /// `otpgram keys rotate`: a new signing key; the old one stays published for `keep`.
    pub async fn rotate_signing_key(state: &AppState, keep: std::time::Duration) -> Result<String> {
        crate::core::oidc::keys::rotate_signing_key(&state.oidc, keep).await
    }

    /// The id (`kid`) of the key ID tokens are signed with now.
    pub async fn signing_key_id(state: &AppState) -> Result<String> {
        crate::core::oidc::keys::signing_key_id(&state.oidc).await
    }
}

/// What the integration tests reach past the HTTP API: state they set up in one step.
#[doc(hidden)]
pub mod testing {
    use uuid::Uuid;

    use crate::{
        core::{session::TokenPair, shops::Subscription},
        error::Result,
        state::AppState,
    };

    pub use crate::{
        core::{session::Method as SessionMethod, shops::ChatInfo},
        sandbox::world::{BOT_ID, VERIFICATION_CHATS, VERIFICATION_CODES_ID},
        store::sql::{deliveries, notifications},
    };

    /// A session for `user_id`, as a login opens one.
    pub async fn start_session(
        state: &AppState,
        user_id: Uuid,
        method: SessionMethod,
    ) -> Result<TokenPair> {
        state.sessions.start(user_id, method).await
    }

    /// Subscribes a chat with an owner link's payload, as the bot does.
    pub async fn subscribe(
        state: &AppState,
        payload: &str,
        chat: ChatInfo,
    ) -> Result<Option<Subscription>> {
        state.shops.subscribe(payload, chat).await
    }
}
