//! Values that are known good once parsed: everything past the edge works with these types.

mod ids;
mod lang;
mod name;
mod phone;
mod site;

pub use ids::{ChatId, TelegramId};
pub use lang::Lang;
pub use name::{FullName, InvalidName};
pub use phone::{InvalidPhone, Phone, mask};
pub use site::Site;
