use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ShopChats::Table)
                    .add_column(string_len_null(ShopChats::Language, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ShopChats::Table)
                    .drop_column(ShopChats::Language)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ShopChats {
    Table,
    Language,
}
