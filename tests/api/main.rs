//! Integration tests: a real otpgram on a random port, real Redis, a real database (SQLite, or
//! PostgreSQL when `OTPGRAM_TEST_POSTGRES_URL` is set) and a fake Telegram over real HTTP.

mod adapters;
mod attacks;
mod bot;
mod browser;
mod delivery;
mod errors;
mod fake_gateway;
mod gateway;
mod helpers;
mod limits;
mod login;
mod logout;
mod measure;
mod no_script;
mod notifications;
mod oidc;
mod oidc_review;
mod one_tap;
mod openapi;
mod ops;
mod reads;
mod relying_parties;
mod resilience;
mod sandbox;
mod sessions;
mod shop_site;
mod shops;
mod shutdown;
mod sso;
mod telegram;
