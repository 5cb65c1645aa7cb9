use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Shops::Table)
                    .if_not_exists()
                    .col(uuid(Shops::Id).primary_key())
                    .col(string_len(Shops::Name, 200))
                    // SHA-256 of the owner-link token; the token itself is never stored.
                    .col(string_len(Shops::LinkTokenHash, 64).unique_key())
                    .col(timestamp_with_time_zone(Shops::CreatedAt))
                    .col(timestamp_with_time_zone(Shops::LinkRotatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShopChats::Table)
                    .if_not_exists()
                    .col(uuid(ShopChats::ShopId))
                    .col(big_integer(ShopChats::ChatId))
                    .col(string_len(ShopChats::ChatType, 16))
                    .col(string_len_null(ShopChats::Title, 255))
                    .col(big_integer_null(ShopChats::AddedBy))
                    .col(boolean(ShopChats::Active).default(true))
                    .col(timestamp_with_time_zone(ShopChats::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ShopChats::ShopId)
                            .col(ShopChats::ChatId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopChats::Table, ShopChats::ShopId)
                            .to(Shops::Table, Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shop_chats_chat_id")
                    .table(ShopChats::Table)
                    .col(ShopChats::ChatId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ShopChats::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Shops::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Shops {
    Table,
    Id,
    Name,
    LinkTokenHash,
    CreatedAt,
    LinkRotatedAt,
}

#[derive(DeriveIden)]
enum ShopChats {
    Table,
    ShopId,
    ChatId,
    ChatType,
    Title,
    AddedBy,
    Active,
    CreatedAt,
}
