use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(uuid(Users::Id).primary_key())
                    .col(big_integer_null(Users::TelegramId).unique_key())
                    .col(string_len(Users::Phone, 20).unique_key())
                    .col(boolean(Users::IsVerified).default(false))
                    .col(string_len_null(Users::Language, 16))
                    .col(string_len_null(Users::FirstName, 255))
                    .col(string_len_null(Users::Username, 64))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Users::VerifiedAt))
                    .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Users::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    TelegramId,
    Phone,
    IsVerified,
    Language,
    FirstName,
    Username,
    CreatedAt,
    UpdatedAt,
    VerifiedAt,
    LastLoginAt,
}
