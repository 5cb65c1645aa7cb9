//! The site a customer is logging in to, as the bot names it when it asks or sends a code: a
//! registered OpenID Connect client's name and origin.

/// A registered client, as the customer should recognise it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Site {
    /// The client's registered name ("Bozor.uz").
    pub name: String,
    /// Its redirect URI's origin (`https://bozor.uz`).
    pub origin: String,
}
