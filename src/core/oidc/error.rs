//! The one way an OAuth 2.0 / OpenID Connect request is refused: the specs' error code and
//! description, and where the answer goes. The front doors map it once each: the hosted page to
//! the client's redirect URI or its own refusal card, the token and revocation endpoints to
//! RFC 6749 5.2's JSON.

use super::Authorized;
use crate::error::Error;

#[derive(Debug)]
pub(crate) enum OAuthError {
    /// Refused, in the specs' terms.
    Refused {
        /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`, ...
        code: &'static str,
        /// For the developer reading it; wording may change.
        description: String,
        /// The authorization request to answer on its redirect URI (with its `state`). `None`
        /// at the token endpoints, and for an authorization request that names no client of
        /// otpgram's or a redirect URI the client did not register: sending the customer there
        /// could hand the answer to anyone, so the page says it itself.
        back_to: Option<Box<Authorized>>,
    },
    /// otpgram's own failure (a store away, a bug): answered as every other endpoint answers it.
    Failed(Error),
}

impl OAuthError {
    /// A refusal answered where it was asked (the token endpoints, or the page itself).
    pub(crate) fn refused(code: &'static str, description: &str) -> Self {
        Self::Refused {
            code,
            description: description.to_string(),
            back_to: None,
        }
    }

    /// A refusal sent back to the client that asked, on its redirect URI.
    pub(crate) fn back(to: &Authorized, code: &'static str, description: &str) -> Self {
        Self::Refused {
            code,
            description: description.to_string(),
            back_to: Some(Box::new(to.clone())),
        }
    }
}

impl From<Error> for OAuthError {
    fn from(err: Error) -> Self {
        Self::Failed(err)
    }
}
