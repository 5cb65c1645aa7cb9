//! What the bot says about a one-tap login (plain text: names and browsers need no escaping).

use super::{Lang, t, t_with, text};

/// The site's name as the texts use it: `SITE_NAME`, else "the shop's website".
fn site(lang: Lang, site_name: Option<&str>) -> String {
    site_name.map_or_else(|| t(lang, "login-site-fallback"), str::to_string)
}

/// "Log in to …?", the site's origin, the browser and the time the login began, over the Log
/// in / Not me buttons. `site_name` is the client's registered name (else `SITE_NAME`);
/// `origin` is empty when the login did not come through a registered client.
pub(crate) fn confirm(
    lang: Lang,
    site_name: Option<&str>,
    origin: &str,
    masked_phone: &str,
    browser: &str,
    time: &str,
) -> String {
    let browser = if browser.is_empty() {
        t(lang, "login-browser-unknown")
    } else {
        browser.to_string()
    };
    let origin_line = if origin.is_empty() {
        String::new()
    } else {
        let line = t_with(lang, "login-confirm-origin", &[("origin", text(origin))]);
        format!("\n{line}")
    };
    t_with(
        lang,
        "login-confirm",
        &[
            ("site", text(&site(lang, site_name))),
            ("origin_line", text(&origin_line)),
            ("phone", text(masked_phone)),
            ("browser", text(&browser)),
            ("time", text(time)),
        ],
    )
}

pub(crate) fn button(lang: Lang) -> String {
    t(lang, "login-button")
}

pub(crate) fn not_me_button(lang: Lang) -> String {
    t(lang, "not-me-button")
}

pub(crate) fn approved(lang: Lang, site_name: Option<&str>) -> String {
    t_with(
        lang,
        "login-approved",
        &[("site", text(&site(lang, site_name)))],
    )
}

/// Under the confirmation: pick the number the login page shows.
pub(crate) fn pick_the_number(lang: Lang) -> String {
    t(lang, "login-pick-number")
}

pub(crate) fn wrong_number(lang: Lang) -> String {
    t(lang, "login-wrong-number")
}

pub(crate) fn denied(lang: Lang) -> String {
    t(lang, "login-denied")
}

pub(crate) fn expired(lang: Lang) -> String {
    t(lang, "login-link-expired")
}

pub(crate) fn used(lang: Lang) -> String {
    t(lang, "login-link-used")
}

pub(crate) fn share_phone(lang: Lang, site_name: Option<&str>) -> String {
    t_with(
        lang,
        "login-share-phone",
        &[("site", text(&site(lang, site_name)))],
    )
}

pub(crate) fn already_answered(lang: Lang) -> String {
    t(lang, "login-already-answered")
}

pub(crate) fn limited(lang: Lang) -> String {
    t(lang, "login-limited")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_confirmation_names_the_site_the_phone_the_browser_and_the_time() {
        for lang in Lang::ALL {
            let text = confirm(
                lang,
                Some("Bozor.uz"),
                "https://bozor.uz",
                "+99890*****67",
                "Chrome, Windows 10",
                "14:05",
            );
            for part in [
                "Bozor.uz",
                "https://bozor.uz",
                "+99890*****67",
                "Chrome, Windows 10",
                "14:05",
            ] {
                assert!(text.contains(part), "{lang:?}: {text}");
            }
            let unknown = confirm(lang, None, "", "+99890*****67", "", "14:05");
            assert!(
                unknown.contains(&t(lang, "login-browser-unknown")),
                "{unknown}"
            );
            assert!(
                unknown.contains(&t(lang, "login-site-fallback")),
                "{unknown}"
            );
        }
    }
}
