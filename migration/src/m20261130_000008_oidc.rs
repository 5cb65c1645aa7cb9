//! OpenID Connect: the keys that sign ID tokens, and the shops' sites registered as clients.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigningKeys::Table)
                    .if_not_exists()
                    .col(string_len(SigningKeys::Kid, 64).primary_key())
                    .col(string_len(SigningKeys::Algorithm, 16))
                    // The private key (PKCS#8), encrypted with a key derived from JWT_SECRET.
                    .col(text(SigningKeys::PrivateKey))
                    // The public half as a JWK, as /.well-known/jwks.json publishes it.
                    .col(text(SigningKeys::PublicJwk))
                    .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                    // From then on it signs nothing (a newer key does) ...
                    .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                    // ... and from then on it is not published either.
                    .col(timestamp_with_time_zone_null(SigningKeys::UnpublishAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OauthClients::Table)
                    .if_not_exists()
                    .col(string_len(OauthClients::Id, 64).primary_key())
                    .col(string_len(OauthClients::Name, 128))
                    // A JSON array of exact redirect URIs.
                    .col(text(OauthClients::RedirectUris))
                    .col(boolean(OauthClients::Confidential))
                    // HMAC-SHA256 (hex) of the secret; the secret is shown once, never stored.
                    .col(string_len_null(OauthClients::SecretHash, 64))
                    .col(timestamp_with_time_zone(OauthClients::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OauthClients::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SigningKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Algorithm,
    PrivateKey,
    PublicJwk,
    CreatedAt,
    RetiredAt,
    UnpublishAt,
}

#[derive(DeriveIden)]
enum OauthClients {
    Table,
    Id,
    Name,
    RedirectUris,
    Confidential,
    SecretHash,
    CreatedAt,
}
