//! The shop backend's API for shops and their subscribed chats (service key required).

use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    error::{ApiError, ErrorBody},
    extract::{Json, ServiceKey},
};
use crate::{
    core::shops::{self, NewLink, ShopRecord},
    domain::ChatId,
    error::Error,
    state::AppState,
};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_shop))
        .routes(routes!(show_shop))
        .routes(routes!(mint_link))
        .routes(routes!(rotate_link))
        .routes(routes!(remove_chat))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewShop {
    /// 1 to 200 characters, without control characters.
    #[schema(example = "Chorsu Market")]
    name: String,
}

/// A shop and a link its owners open to subscribe a chat. The link holds a secret that is
/// shown only here; it subscribes one chat, then stops working, and expires at `expires_at`.
#[derive(Serialize, ToSchema)]
pub(super) struct ShopLink {
    id: Uuid,
    name: String,
    #[schema(example = "https://t.me/otpgram_bot?start=shop_AbC123")]
    owner_link: String,
    expires_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct ShopView {
    id: Uuid,
    name: String,
    created_at: DateTime<Utc>,
    chats: Vec<ChatView>,
}

/// A Telegram chat told about the shop's orders.
#[derive(Serialize, ToSchema)]
pub(super) struct ChatView {
    chat_id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    #[serde(rename = "type")]
    #[schema(example = "private")]
    chat_type: String,
    title: Option<String>,
    /// False once the bot was removed from the chat or blocked.
    active: bool,
    since: DateTime<Utc>,
}

/// A path id that is not a UUID names no shop.
fn shop_id(raw: &str) -> Result<Uuid, Error> {
    raw.parse().map_err(|_| Error::ShopNotFound)
}

async fn with_link(
    state: &AppState,
    shop: &ShopRecord,
    link: &NewLink,
) -> Result<ShopLink, ApiError> {
    let username = state.telegram.bot_username().await?;
    Ok(ShopLink {
        id: shop.id,
        name: shop.name.clone(),
        owner_link: shops::owner_link(&username, &link.token),
        expires_at: link.expires_at,
    })
}

/// Create a shop
#[utoipa::path(
    post,
    path = "/api/v1/shops",
    tag = "shops",
    request_body = NewShop,
    security(("service_key" = [])),
    responses(
        (status = 201, description = "Created; send `owner_link` to the shop's owners.", body = ShopLink),
        (status = 400, description = "`invalid_request`: not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: the body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`invalid_request`: `name` is missing, empty or too long.", body = ErrorBody),
    )
)]
async fn create_shop(
    _: ServiceKey,
    State(state): State<AppState>,
    Json(body): Json<NewShop>,
) -> Result<Response, ApiError> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(Error::Invalid {
            field: "name".into(),
            message: "must be 1 to 200 characters, without control characters".into(),
        }
        .into());
    }
    let (shop, link) = state.shops.create(name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_link(&state, &shop, &link).await?),
    )
        .into_response())
}

/// Show a shop and its chats
#[utoipa::path(
    get,
    path = "/api/v1/shops/{id}",
    tag = "shops",
    params(("id" = Uuid, Path, description = "The shop's id.")),
    security(("service_key" = [])),
    responses(
        (status = 200, description = "The shop.", body = ShopView),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`shop_not_found`", body = ErrorBody),
    )
)]
async fn show_shop(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (shop, chats) = state.shops.with_chats(shop_id(&id)?).await?;
    let chats = chats
        .into_iter()
        .map(|c| ChatView {
            chat_id: c.chat_id,
            chat_type: c.chat_type,
            title: c.title,
            active: c.active,
            since: c.created_at,
        })
        .collect();
    Ok(axum::Json(ShopView {
        id: shop.id,
        name: shop.name,
        created_at: shop.created_at,
        chats,
    })
    .into_response())
}

/// Another owner link
///
/// Each link subscribes one chat; links minted before keep working.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{id}/links",
    tag = "shops",
    params(("id" = Uuid, Path, description = "The shop's id.")),
    security(("service_key" = [])),
    responses(
        (status = 201, description = "A new link.", body = ShopLink),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`shop_not_found`", body = ErrorBody),
    )
)]
async fn mint_link(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (shop, link) = state.shops.mint_link(shop_id(&id)?).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(with_link(&state, &shop, &link).await?),
    )
        .into_response())
}

/// Replace the owner links
///
/// Every unused link of the shop stops working and a new one is returned; chats already
/// subscribed stay.
#[utoipa::path(
    post,
    path = "/api/v1/shops/{id}/link/rotate",
    tag = "shops",
    params(("id" = Uuid, Path, description = "The shop's id.")),
    security(("service_key" = [])),
    responses(
        (status = 200, description = "The new link.", body = ShopLink),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`shop_not_found`", body = ErrorBody),
    )
)]
async fn rotate_link(
    _: ServiceKey,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (shop, link) = state.shops.rotate_link(shop_id(&id)?).await?;
    Ok(axum::Json(with_link(&state, &shop, &link).await?).into_response())
}

/// Stop telling a chat about the shop's orders
#[utoipa::path(
    delete,
    path = "/api/v1/shops/{id}/chats/{chat_id}",
    tag = "shops",
    params(
        ("id" = Uuid, Path, description = "The shop's id."),
        ("chat_id" = i64, Path, description = "The Telegram chat's id."),
    ),
    security(("service_key" = [])),
    responses(
        (status = 204, description = "The chat is unsubscribed."),
        (status = 401, description = "`unauthorized`: no valid service key.", body = ErrorBody),
        (status = 404, description = "`shop_not_found`; `chat_not_found`: the chat is not subscribed.",
            body = ErrorBody),
    )
)]
async fn remove_chat(
    _: ServiceKey,
    State(state): State<AppState>,
    Path((id, chat_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = shop_id(&id)?;
    let chat_id = chat_id
        .parse()
        .map(ChatId)
        .map_err(|_| Error::ChatNotFound)?;
    state.shops.remove_chat(id, chat_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
