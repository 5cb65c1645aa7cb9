//! OpenID Connect RP-Initiated Logout 1.0: a client sends the customer to `/logout` to end
//! otpgram's login session (so the next "Log in" on a shared computer asks again), and may have
//! them sent back to one of the addresses it registered as `post_logout_redirect_uris`.

use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use super::{MAX_PARAMETER, Oidc, clients, issuer, tokens};
use crate::error::{Error, Result};

/// A logout request, as the client sent it (query or form).
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct LogoutRequest {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub ui_locales: Option<String>,
}

/// A logout request that passed every check.
#[derive(Debug)]
pub(crate) struct Logout {
    /// The client that asked (from `id_token_hint` or `client_id`), if any.
    pub client_id: Option<String>,
    /// The client's registered name, to say where the customer goes back to.
    pub client_name: Option<String>,
    /// Where the customer goes afterwards (a registered address, with the client's `state`).
    pub return_to: Option<Url>,
    /// The customer the client's ID token names: their session ends without asking, since the
    /// client proved it logged them in.
    pub hinted_user: Option<Uuid>,
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// Checks a logout request. A refusal is shown to the customer, never followed: the customer is
/// sent only to an address the client registered.
pub(crate) async fn check(oidc: &Oidc, request: &LogoutRequest) -> Result<Logout> {
    issuer(oidc)?;
    let present = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    let hint = match present(&request.id_token_hint) {
        Some(token) => Some(
            tokens::read_hint(oidc, &token)
                .await?
                .ok_or_else(|| invalid("id_token_hint", "is not an ID token otpgram issued"))?,
        ),
        None => None,
    };
    let client_id = match (
        hint.as_ref().map(|h| h.client_id.clone()),
        present(&request.client_id),
    ) {
        (Some(audience), Some(given)) if audience != given => {
            return Err(invalid(
                "client_id",
                "differs from the audience of id_token_hint",
            ));
        }
        (audience, given) => audience.or(given),
    };
    let client = match client_id {
        Some(id) => Some(
            clients::find(oidc, &id)
                .await?
                .ok_or_else(|| invalid("client_id", "is not a registered client"))?,
        ),
        None => None,
    };
    if request
        .state
        .as_deref()
        .is_some_and(|s| s.len() > MAX_PARAMETER)
    {
        return Err(invalid("state", "is longer than 512 bytes"));
    }
    let return_to = match present(&request.post_logout_redirect_uri) {
        None => None,
        Some(uri) => {
            let client = client.as_ref().ok_or_else(|| {
                invalid(
                    "post_logout_redirect_uri",
                    "needs client_id or id_token_hint, to be checked against the client's",
                )
            })?;
            if !client.returns_after_logout_to(&uri) {
                return Err(invalid(
                    "post_logout_redirect_uri",
                    "is not one of the client's post_logout_redirect_uris",
                ));
            }
            let mut url = Url::parse(&uri).map_err(|e| Error::Internal(e.into()))?;
            if let Some(client_state) = present(&request.state) {
                url.query_pairs_mut().append_pair("state", &client_state);
            }
            Some(url)
        }
    };
    Ok(Logout {
        client_id: client.as_ref().map(|c| c.id.clone()),
        client_name: client.map(|c| c.name),
        return_to,
        hinted_user: hint.map(|h| h.user_id),
    })
}
