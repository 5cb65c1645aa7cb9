//! The shop backend's API for shops and their subscribed chats (service key required).

use axum::{
    Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    error::ApiError,
    extract::{Json, ServiceKey},
};
use crate::{
    error::Error,
    shops::{self, ShopRecord},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/shops", post(create_shop))
        .route("/api/v1/shops/{id}", get(show_shop))
        .route("/api/v1/shops/{id}/link/rotate", post(rotate_link))
        .route("/api/v1/shops/{id}/chats/{chat_id}", delete(remove_chat))
}

#[derive(Deserialize)]
struct NewShop {
    name: String,
}

/// A path id that is not a UUID names no shop.
fn shop_id(raw: &str) -> Result<Uuid, Error> {
    raw.parse().map_err(|_| Error::ShopNotFound)
}

async fn with_link(state: &AppState, shop: &ShopRecord, token: &str) -> Result<Value, ApiError> {
    let username = state.courier.bot_username().await?;
    Ok(json!({
        "id": shop.id,
        "name": shop.name,
        "owner_link": shops::owner_link(&username, token),
    }))
}

async fn create_shop(
    _: ServiceKey,
    State(state): State<AppState>,
    Json(body): Json<NewShop>,
) -> Result<Response, ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Error::Invalid {
            field: "name".into(),
            message: "must be 1 to 200 characters".into(),
        }
        .into());
    }
    let (shop, token) = shops::create(&state.db, name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_link(&state, &shop, &token).await?),
    )
        .into_response())
}

async fn show_shop(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let shop = shops::find(&state.db, shop_id(&id)?).await?;
    let chats = shops::chats(&state.db, shop.id).await?;
    let chats: Vec<Value> = chats
        .iter()
        .map(|c| {
            json!({
                "chat_id": c.chat_id,
                "type": c.chat_type,
                "title": c.title,
                "active": c.active,
                "since": c.created_at,
            })
        })
        .collect();
    Ok(axum::Json(json!({
        "id": shop.id,
        "name": shop.name,
        "created_at": shop.created_at,
        "chats": chats,
    }))
    .into_response())
}

async fn rotate_link(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (shop, token) = shops::rotate_link(&state.db, shop_id(&id)?).await?;
    Ok(axum::Json(with_link(&state, &shop, &token).await?).into_response())
}

async fn remove_chat(
    _: ServiceKey,
    State(state): State<AppState>,
    Path((id, chat_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let shop = shops::find(&state.db, shop_id(&id)?).await?;
    let chat_id: i64 = chat_id.parse().map_err(|_| Error::ChatNotFound)?;
    if !shops::unsubscribe(&state.db, shop.id, chat_id).await? {
        return Err(Error::ChatNotFound.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
