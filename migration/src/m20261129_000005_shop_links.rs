//! Owner links of their own: a shop may have several at once, each subscribes one chat and
//! expires. The links that exist (one per shop, in `shops.link_token_hash`) carry over, valid for
//! seven days from this migration. `shops.link_token_hash` stays (SQLite cannot drop a unique
//! column without rebuilding the table) and holds the shop's first link's hash; nothing reads it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261121_000002_create_shops::Shops;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ShopLinks::Table)
                    .if_not_exists()
                    // SHA-256 (hex) of the link's token; the token itself is never stored.
                    .col(string_len(ShopLinks::TokenHash, 64).primary_key())
                    .col(uuid(ShopLinks::ShopId))
                    .col(timestamp_with_time_zone(ShopLinks::CreatedAt))
                    .col(timestamp_with_time_zone(ShopLinks::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ShopLinks::UsedAt))
                    .col(big_integer_null(ShopLinks::UsedByChat))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ShopLinks::Table, ShopLinks::ShopId)
                            .to(Shops::Table, Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_shop_links_shop_id")
                    .table(ShopLinks::Table)
                    .col(ShopLinks::ShopId)
                    .to_owned(),
            )
            .await?;
        let expires = chrono::Utc::now() + chrono::TimeDelta::days(7);
        let carry_over = Query::insert()
            .into_table(ShopLinks::Table)
            .columns([
                ShopLinks::TokenHash,
                ShopLinks::ShopId,
                ShopLinks::CreatedAt,
                ShopLinks::ExpiresAt,
            ])
            .select_from(
                Query::select()
                    .column(Shops::LinkTokenHash)
                    .column(Shops::Id)
                    .column(Shops::LinkRotatedAt)
                    .expr(Expr::val(expires))
                    .from(Shops::Table)
                    .to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        manager.exec_stmt(carry_over).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ShopLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ShopLinks {
    Table,
    TokenHash,
    ShopId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    UsedByChat,
}
