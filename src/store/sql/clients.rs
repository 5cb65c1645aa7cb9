//! `oauth_clients`: the shops' sites registered as OpenID Connect clients.

use entity::oauth_client::{self, Entity as OauthClient};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel};

use crate::error::Result;

pub(crate) use oauth_client::Model as ClientRow;

pub(crate) async fn insert(db: &DatabaseConnection, row: ClientRow) -> Result<()> {
    row.into_active_model().insert(db).await?;
    Ok(())
}

pub(crate) async fn find(db: &DatabaseConnection, client_id: &str) -> Result<Option<ClientRow>> {
    Ok(OauthClient::find_by_id(client_id.to_string())
        .one(db)
        .await?)
}
