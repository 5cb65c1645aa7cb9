//! Registering the shops' sites as OpenID Connect clients (service key): `POST
//! /api/v1/clients`.

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, ErrorBody},
    extract::{Json, ServiceKey},
};
use crate::{core::oidc::clients, error::Error, state::AppState};

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(register_client))
}

#[derive(Deserialize, ToSchema)]
pub(super) struct NewClient {
    /// Shown on the login page ("Log in to Bozor.uz").
    #[schema(example = "Bozor.uz")]
    name: String,
    /// Exact URIs the login may return to (https; http only for localhost outside production).
    #[schema(example = json!(["https://bozor.uz/auth/callback"]))]
    redirect_uris: Vec<String>,
    /// Exact URIs the customer may be sent to after logging out of otpgram (`/logout`'s
    /// `post_logout_redirect_uri`), with the same rules.
    #[schema(example = json!(["https://bozor.uz/"]))]
    #[serde(default)]
    post_logout_redirect_uris: Vec<String>,
    /// `confidential` (a backend keeping a secret: the default) or `public` (a browser or an
    /// app: PKCE is required).
    #[schema(example = "confidential")]
    #[serde(default)]
    r#type: Option<String>,
}

/// A registered client; the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub(super) struct ClientCreated {
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    name: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    #[schema(example = "confidential")]
    r#type: &'static str,
}

/// Register a shop's site
///
/// Registers an OpenID Connect client. A confidential client's secret is in this answer only
/// (otpgram keeps a keyed hash of it).
#[utoipa::path(
    post,
    path = "/api/v1/clients",
    tag = "openid",
    security(("service_key" = [])),
    request_body = NewClient,
    responses(
        (status = 201, description = "Registered.", body = ClientCreated),
        (status = 400, description = "`invalid_request`: not JSON.", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`invalid_request`: not JSON.", body = ErrorBody),
        (status = 422, description = "`invalid_request` naming the field.", body = ErrorBody),
    )
)]
async fn register_client(
    State(state): State<AppState>,
    _: ServiceKey,
    Json(body): Json<NewClient>,
) -> Result<Response, ApiError> {
    let confidential = match body.r#type.as_deref() {
        None | Some("confidential") => true,
        Some("public") => false,
        Some(_) => {
            return Err(Error::Invalid {
                field: "type".into(),
                message: "must be confidential or public".into(),
            }
            .into());
        }
    };
    let registered = clients::register(
        &state.oidc,
        clients::NewClient {
            name: body.name,
            redirect_uris: body.redirect_uris,
            post_logout_redirect_uris: body.post_logout_redirect_uris,
            confidential,
        },
    )
    .await?;
    let client = registered.client;
    Ok((
        StatusCode::CREATED,
        axum::Json(ClientCreated {
            client_id: client.id,
            client_secret: registered.secret,
            name: client.name,
            redirect_uris: client.redirect_uris,
            post_logout_redirect_uris: client.post_logout_redirect_uris,
            r#type: if client.confidential {
                "confidential"
            } else {
                "public"
            },
        }),
    )
        .into_response())
}
