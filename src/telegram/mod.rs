//! Everything otpgram says in Telegram goes out through here: the one outbound [`client`]
//! (login codes, notices, orders; its metrics and its reading of Telegram's answers in
//! [`outcome`]), paced by the [`pacer`] within Telegram's limits, in the words of [`crate::texts`].

pub(crate) mod client;
pub(crate) mod gateway;
pub(crate) mod outcome;
pub(crate) mod pacer;

pub(crate) use client::TelegramClient;
