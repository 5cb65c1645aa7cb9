use sea_orm_migration::{prelude::*, schema::*};

/// Where a client may send the customer after logging out of otpgram (OpenID Connect
/// RP-Initiated Logout's `post_logout_redirect_uris`): a JSON array of exact URIs, empty for the
/// clients registered before.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .add_column(text(OauthClients::PostLogoutRedirectUris).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OauthClients::Table)
                    .drop_column(OauthClients::PostLogoutRedirectUris)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OauthClients {
    Table,
    PostLogoutRedirectUris,
}
