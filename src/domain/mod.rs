//! Values that are known good once parsed: everything past the edge works with these types.

mod name;
mod phone;

pub use name::{FullName, InvalidName};
pub use phone::{InvalidPhone, Phone, mask};

/// A Telegram user id (also the id of their private chat with the bot).
pub type TelegramId = i64;
