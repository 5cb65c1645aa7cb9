//! The shops' sites as OpenID Connect clients: registered through the service API, each with
//! its exact redirect URIs; a confidential client's secret is shown once and kept as a keyed
//! hash.

use chrono::Utc;

use super::Oidc;
use crate::{
    crypto::{constant_time_eq, random_token},
    error::{Error, Result},
    store::sql::clients::{self, ClientRow},
};

/// A client to register.
pub(crate) struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    /// Where the customer may be sent after logging out (RP-Initiated Logout).
    pub post_logout_redirect_uris: Vec<String>,
    /// A backend that can keep a secret; otherwise a public client (a browser, an app), which
    /// must use PKCE.
    pub confidential: bool,
}

/// A registered client, and its secret (shown this once).
pub(crate) struct Registered {
    pub client: Client,
    pub secret: Option<String>,
}

/// A registered client.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    pub id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub confidential: bool,
    secret_hash: Option<String>,
}

impl Client {
    /// Whether `uri` is one of the client's redirect URIs, character for character.
    pub(crate) fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|known| known == uri)
    }

    /// Whether `uri` is one of the client's logout addresses, character for character.
    pub(crate) fn returns_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|known| known == uri)
    }
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Registers a client after checking its name and redirect URIs.
pub(crate) async fn register(oidc: &Oidc, new: NewClient) -> Result<Registered> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "must be 1 to 128 characters, without control characters",
        ));
    }
    if new.redirect_uris.is_empty() || new.redirect_uris.len() > 10 {
        return Err(invalid("redirect_uris", "must list 1 to 10 URIs"));
    }
    for uri in &new.redirect_uris {
        check_redirect_uri(oidc, "redirect_uris", uri)?;
    }
    if new.post_logout_redirect_uris.len() > 10 {
        return Err(invalid(
            "post_logout_redirect_uris",
            "must list at most 10 URIs",
        ));
    }
    for uri in &new.post_logout_redirect_uris {
        check_redirect_uri(oidc, "post_logout_redirect_uris", uri)?;
    }
    let id = random_token(24);
    let secret = new.confidential.then(|| random_token(40));
    let row = ClientRow {
        id: id.clone(),
        name: name.to_string(),
        redirect_uris: serde_json::to_string(&new.redirect_uris)
            .map_err(|e| Error::Internal(e.into()))?,
        post_logout_redirect_uris: serde_json::to_string(&new.post_logout_redirect_uris)
            .map_err(|e| Error::Internal(e.into()))?,
        confidential: new.confidential,
        secret_hash: secret.as_deref().map(|s| hash_secret(oidc, &id, s)),
        created_at: Utc::now(),
    };
    clients::insert(&oidc.db, row.clone()).await?;
    tracing::info!(client_id = %id, confidential = new.confidential, "an OpenID Connect client registered");
    Ok(Registered {
        client: from_row(row)?,
        secret,
    })
}

/// An absolute URI without a fragment; `https`, or `http` for this machine only outside
/// production (a developer's site).
fn check_redirect_uri(oidc: &Oidc, field: &str, uri: &str) -> Result<()> {
    let parsed = url::Url::parse(uri)
        .map_err(|_| invalid(field, format!("{uri:?} is not an absolute URI")))?;
    if parsed.fragment().is_some() {
        return Err(invalid(field, format!("{uri:?} has a fragment")));
    }
    let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if local && !oidc.production => Ok(()),
        _ => Err(invalid(
            field,
            format!("{uri:?} must be https (http only for localhost, outside production)"),
        )),
    }
}

pub(crate) async fn find(oidc: &Oidc, client_id: &str) -> Result<Option<Client>> {
    clients::find(&oidc.db, client_id)
        .await?
        .map(from_row)
        .transpose()
}

/// The client, if `secret` is its secret (compared in constant time).
pub(crate) fn authenticates(oidc: &Oidc, client: &Client, secret: &str) -> bool {
    client.secret_hash.as_deref().is_some_and(|stored| {
        constant_time_eq(
            stored.as_bytes(),
            hash_secret(oidc, &client.id, secret).as_bytes(),
        )
    })
}

fn hash_secret(oidc: &Oidc, client_id: &str, secret: &str) -> String {
    oidc.hasher
        .secret(&format!("client secret {client_id}"), secret)
}

fn from_row(row: ClientRow) -> Result<Client> {
    Ok(Client {
        redirect_uris: serde_json::from_str(&row.redirect_uris)
            .map_err(|e| Error::Internal(e.into()))?,
        post_logout_redirect_uris: serde_json::from_str(&row.post_logout_redirect_uris)
            .map_err(|e| Error::Internal(e.into()))?,
        id: row.id,
        name: row.name,
        confidential: row.confidential,
        secret_hash: row.secret_hash,
    })
}
