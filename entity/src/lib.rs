//! SeaORM entities: the durable data, mirroring the tables the `migration` crate creates.

pub mod shop;
pub mod shop_chat;
pub mod user;

pub mod prelude {
    pub use super::shop::Entity as Shop;
    pub use super::shop_chat::Entity as ShopChat;
    pub use super::user::Entity as User;
}
