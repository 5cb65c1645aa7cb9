//! `signing_keys`: the keys that sign ID tokens. The newest key not retired signs; a retired
//! key stays published until `unpublish_at`, so tokens it signed can still be checked.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signing_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub kid: String,
    pub algorithm: String,
    /// The private key (PKCS#8 DER), encrypted (AES-256-GCM, key derived from `JWT_SECRET`),
    /// base64.
    pub private_key: String,
    /// The public half, as a JWK (JSON).
    pub public_jwk: String,
    pub created_at: DateTimeUtc,
    pub retired_at: Option<DateTimeUtc>,
    pub unpublish_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
