use sea_orm_migration::{prelude::*, schema::*};

use super::m20261121_000002_create_shops::Shops;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::ShopId))
                    .col(string_len(Notifications::OrderId, 128))
                    // The order as received, JSON.
                    .col(text(Notifications::Payload))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::ShopId)
                            .to(Shops::Table, Shops::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_shop_order")
                    .table(Notifications::Table)
                    .col(Notifications::ShopId)
                    .col(Notifications::OrderId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Deliveries::Table)
                    .if_not_exists()
                    .col(uuid(Deliveries::NotificationId))
                    .col(big_integer(Deliveries::ChatId))
                    // queued | sending | retrying | sent | failed | inactive
                    .col(string_len(Deliveries::Status, 16))
                    .col(integer(Deliveries::Attempts).default(0))
                    .col(text_null(Deliveries::LastError))
                    .col(timestamp_with_time_zone_null(Deliveries::NextAttemptAt))
                    // While `sending`: until when the worker that claimed it owns it.
                    .col(timestamp_with_time_zone_null(Deliveries::LeaseUntil))
                    .col(timestamp_with_time_zone_null(Deliveries::SentAt))
                    .col(big_integer_null(Deliveries::MessageId))
                    .primary_key(
                        Index::create()
                            .col(Deliveries::NotificationId)
                            .col(Deliveries::ChatId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Deliveries::Table, Deliveries::NotificationId)
                            .to(Notifications::Table, Notifications::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deliveries_status")
                    .table(Deliveries::Table)
                    .col(Deliveries::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    ShopId,
    OrderId,
    Payload,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Deliveries {
    Table,
    NotificationId,
    ChatId,
    Status,
    Attempts,
    LastError,
    NextAttemptAt,
    LeaseUntil,
    SentAt,
    MessageId,
}
