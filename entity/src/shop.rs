//! `shops`: a shop whose owners hear about its orders in Telegram.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shops")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// The hash of the shop's first owner link. Not read: links live in `shop_links` (the
    /// column stays because SQLite cannot drop a unique column in place).
    #[sea_orm(unique)]
    pub link_token_hash: String,
    pub created_at: DateTimeUtc,
    pub link_rotated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::shop_chat::Entity")]
    ShopChat,
}

impl Related<super::shop_chat::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ShopChat.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
