//! Everything otpgram says in Telegram goes out through here: the one outbound [`client`]
//! (login codes, notices, orders; its metrics and its reading of Telegram's answers in
//! [`outcome`]), paced by the [`pacer`] within Telegram's limits, in the words of [`texts`].

pub mod client;
pub mod gateway;
pub mod outcome;
pub mod pacer;
pub mod texts;

pub use client::{GET_CODE, TelegramClient, Undelivered, get_code_keyboard};
