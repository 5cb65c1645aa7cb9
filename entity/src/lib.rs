//! SeaORM entities: the durable data, mirroring the tables the `migration` crate creates.

pub mod delivery;
pub mod notification;
pub mod oauth_client;
pub mod shop;
pub mod shop_chat;
pub mod shop_link;
pub mod signing_key;
pub mod user;

pub mod prelude {
    pub use super::delivery::Entity as Delivery;
    pub use super::notification::Entity as Notification;
    pub use super::oauth_client::Entity as OauthClient;
    pub use super::shop::Entity as Shop;
    pub use super::shop_chat::Entity as ShopChat;
    pub use super::shop_link::Entity as ShopLink;
    pub use super::signing_key::Entity as SigningKey;
    pub use super::user::Entity as User;
}
