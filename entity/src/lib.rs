//! SeaORM entities: the durable data, mirroring the tables the `migration` crate creates.

pub mod user;

pub mod prelude {
    pub use super::user::Entity as User;
}
