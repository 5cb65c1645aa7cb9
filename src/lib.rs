//! otpgram: log shop customers in with one-time codes delivered by Telegram.
//!
//! Two front doors (the HTTP [`api`] and the Telegram [`bot`]) over one core ([`otp`],
//! [`binding`], [`session`], [`profile`], [`shops`], [`notify`], [`replicas`]) and two stores
//! ([`store::redis`], [`store::sql`]). Only the core reaches the stores.

pub mod addresses;
pub mod api;
pub mod app;
pub mod binding;
pub mod bot;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod health;
pub mod meters;
pub mod notify;
pub mod otp;
pub mod profile;
pub mod replicas;
pub mod sandbox;
pub mod session;
pub mod shops;
pub mod state;
pub mod store;
pub mod tasks;
pub mod telegram;
pub mod telemetry;

pub use app::App;
pub use config::Config;
