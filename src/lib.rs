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
//! mounted side by side by `http`, which holds what they share (errors, extractors, cookies,
//! guards, limits, layers). `config` is read once, in
//! sections; `domain` holds the values that are known good once parsed (phones, names,
//! languages, Telegram ids); `state::AppState` holds the components and the sections read while
//! serving; `tasks` is the only place that spawns, and stops every task together.
//!
//! Everything is `pub(crate)` (`unreachable_pub` keeps it so) except what `main`, the tests and
//! the bench use, exported below. Where a newcomer adds a channel, an endpoint or a text: the
//! README's "Where to add things".

#![warn(unreachable_pub)]

mod addresses;
mod api;
mod app;
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

/// The commands beside the service (`otpgram migrate`, `check`, `shop create`) and imports.
pub mod ops {
    use crate::{error::Result, state::AppState};

    /// `otpgram keys rotate`: a new signing key; the old one stays published for `keep`.
    pub async fn rotate_signing_key(state: &AppState, keep: std::time::Duration) -> Result<String> {
        crate::core::oidc::keys::rotate_signing_key(&state.oidc, keep).await
    }

    /// The id (`kid`) of the key ID tokens are signed with now.
    pub async fn signing_key_id(state: &AppState) -> Result<String> {
        crate::core::oidc::keys::signing_key_id(&state.oidc).await
    }

    pub use crate::{
        core::{
            binding::import as import_bindings,
            shops::{create as create_shop, owner_deep_link},
        },
        health::check,
        store::sql::migrate,
    };
}

/// What the integration tests reach past the HTTP API: state they set up in one step.
#[doc(hidden)]
pub mod testing {
    pub use crate::{
        core::{
            session::{Method as SessionMethod, start as start_session},
            shops::{ChatInfo, subscribe},
        },
        sandbox::world::{BOT_ID, VERIFICATION_CHATS, VERIFICATION_CODES_ID},
        store::sql::{deliveries, notifications},
    };
}
