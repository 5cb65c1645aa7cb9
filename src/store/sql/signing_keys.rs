//! `signing_keys`: the ID token signing keys (see `core::oidc::keys`).

use chrono::{DateTime, Utc};
use entity::signing_key::{self, Column, Entity as SigningKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter, sea_query::Expr,
};

use crate::error::Result;

pub(crate) use signing_key::Model as KeyRow;

/// The keys still published (the signing one among them).
pub(crate) async fn published(db: &DatabaseConnection) -> Result<Vec<KeyRow>> {
    Ok(SigningKey::find()
        .filter(
            Condition::any()
                .add(Column::UnpublishAt.is_null())
                .add(Column::UnpublishAt.gt(Utc::now())),
        )
        .all(db)
        .await?)
}

pub(crate) async fn insert(db: &DatabaseConnection, row: KeyRow) -> Result<()> {
    row.into_active_model().insert(db).await?;
    Ok(())
}

/// Every key but `kid` stops signing now and stops being published at `until`.
pub(crate) async fn retire_all_but(
    db: &DatabaseConnection,
    kid: &str,
    until: DateTime<Utc>,
) -> Result<()> {
    SigningKey::update_many()
        .col_expr(Column::RetiredAt, Expr::value(Utc::now()))
        .col_expr(Column::UnpublishAt, Expr::value(until))
        .filter(Column::Kid.ne(kid))
        .filter(Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
