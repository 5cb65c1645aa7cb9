//! Values that are known good once parsed: everything past the edge works with these types.

mod binding;
mod ids;
mod lang;
mod login;
mod name;
mod phone;
mod site;
mod user;

pub(crate) use binding::Binding;
pub use ids::{ChatId, TelegramId};
pub(crate) use lang::Lang;
pub(crate) use login::Asking;
pub(crate) use name::{FullName, InvalidName};
pub(crate) use phone::InvalidPhone;
pub use phone::Phone;
pub(crate) use site::Site;
pub(crate) use user::User;
