//! Schema migrations, one file per change. The service runs pending ones at startup
//! (`otpgram migrate` runs them alone).

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_create_users;
mod m20261121_000002_create_shops;
mod m20261121_000003_create_notifications;
mod m20261121_000004_shop_chat_language;
mod m20261129_000005_shop_links;
mod m20261129_000006_delivery_claims;
mod m20261129_000007_user_names;
mod m20261130_000008_oidc;
mod m20261203_000009_post_logout_uris;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_users::Migration),
            Box::new(m20261121_000002_create_shops::Migration),
            Box::new(m20261121_000003_create_notifications::Migration),
            Box::new(m20261121_000004_shop_chat_language::Migration),
            Box::new(m20261129_000005_shop_links::Migration),
            Box::new(m20261129_000006_delivery_claims::Migration),
            Box::new(m20261129_000007_user_names::Migration),
            Box::new(m20261130_000008_oidc::Migration),
            Box::new(m20261203_000009_post_logout_uris::Migration),
        ]
    }
}
