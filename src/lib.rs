//! otpgram: log shop customers in with one-time codes delivered by Telegram.
//!
//! ```text
//! api/ (HTTP) ──┐                           ┌─ store/redis/  (hot, short-lived; shared by replicas)
//!               ├─► core/ (otp, binding,  ──┤
//! bot/ (Telegram)┘   session, profile,      └─ store/sql/    (the truth: users, shops, orders)
//!                    shops, notify, replicas)
//!                         └─► telegram/ (the one outbound client, paced and counted)
//! ```
//!
//! Two front doors (the HTTP [`api`] and the Telegram [`bot`]) over one [`core`] and two stores
//! ([`store::redis`], [`store::sql`]); only the core reaches the stores. [`config`] is read once,
//! in sections; [`domain`] holds the values that are known good once parsed (phones, names,
//! Telegram ids); [`state::AppState`] holds the components and the sections read while serving;
//! [`tasks`] stops every background task together; [`sandbox`] is development's pretend
//! Telegram.

pub mod addresses;
pub mod api;
pub mod app;
pub mod bot;
pub mod config;
pub mod core;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod health;
pub mod meters;
pub mod pages;
pub mod sandbox;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telegram;
pub mod telemetry;

pub use app::App;
pub use config::Config;
