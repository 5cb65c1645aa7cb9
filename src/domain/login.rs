//! A one-tap login as the customer is asked to confirm it in Telegram.

/// A login as its confirmation shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Asking {
    /// The browser that began it, summarised ("Chrome, Windows"); empty when unknown.
    pub(crate) browser: String,
    /// When it began (Unix seconds).
    pub(crate) created: i64,
    /// The registered client's name the login began for; empty when it began elsewhere (a
    /// shop's own page: `SITE_NAME` then).
    pub(crate) site: String,
    /// That client's origin (its redirect URI's), shown beside the name; empty when unknown.
    pub(crate) origin: String,
    /// The number the browser shows, which the customer must pick in Telegram (`None` for a
    /// login begun before numbers were shown).
    pub(crate) number: Option<u8>,
}
