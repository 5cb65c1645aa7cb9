//! `oauth_clients`: a shop's site registered as an OpenID Connect client.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oauth_clients")]
pub struct Model {
    /// The `client_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// A JSON array of the exact redirect URIs.
    pub redirect_uris: String,
    /// A JSON array of the exact URIs the customer may be sent to after logging out.
    pub post_logout_redirect_uris: String,
    /// Confidential clients (a backend) authenticate with a secret; public ones (a browser or
    /// an app) cannot keep one and must use PKCE.
    pub confidential: bool,
    /// HMAC-SHA256 (hex) of the client secret.
    pub secret_hash: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
