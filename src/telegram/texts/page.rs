//! What otpgram's own pages say outside the login page's script: a refused login link, and
//! logging out (plain text: the page escapes it).

use super::{Lang, t, t_with, text};

/// A login link that cannot go back to the shop: title and hint.
pub(crate) fn refused(lang: Lang) -> (String, String) {
    (t(lang, "page-refused-title"), t(lang, "page-refused-hint"))
}

/// The logout confirmation: title, lead, where the customer goes back to, the button.
pub(crate) fn logout(lang: Lang, site: Option<&str>) -> [String; 4] {
    [
        t(lang, "page-logout-title"),
        t(lang, "page-logout-lead"),
        site.map(|site| t_with(lang, "page-logout-back", &[("site", text(site))]))
            .unwrap_or_default(),
        t(lang, "page-logout-button"),
    ]
}

/// Logged out, with nowhere to go back to: title and text.
pub(crate) fn logged_out(lang: Lang) -> (String, String) {
    (
        t(lang, "page-logout-done-title"),
        t(lang, "page-logout-done"),
    )
}
