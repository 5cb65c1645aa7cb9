//! What otpgram's own pages say: the hosted login page, a refused login link, and logging
//! out (plain text: the page escapes it).

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

/// The codes of the errors the hosted login page explains in its own words; any other error
/// reads as `unavailable`.
const LOGIN_ERRORS: [&str; 7] = [
    "invalid_phone",
    "invalid_code",
    "too_many_attempts",
    "rate_limited",
    "forbidden_origin",
    "unavailable",
    "network",
];

/// Everything the hosted login page says, in one language. The server renders the page from it
/// (so it reads the same without a script), and hands it to the script for what it says later.
#[derive(serde::Serialize)]
pub(crate) struct LoginTexts {
    pub title: String,
    pub lead: String,
    pub tap: String,
    pub open: String,
    pub tap_hint: String,
    pub pick: String,
    pub continue_tap: String,
    pub or: String,
    pub phone: String,
    pub send: String,
    pub code: String,
    pub verify: String,
    /// With `{s}` where the seconds go.
    pub resend_in: String,
    pub resend: String,
    /// Where the code comes from (naming the bot when it is known).
    pub sent: String,
    pub no_code: String,
    /// "Open @bot", when the bot is known.
    pub open_bot: Option<String>,
    pub waiting: String,
    pub denied: String,
    pub expired: String,
    pub done: String,
    pub footer: String,
    /// Keyed by the error code the API answers with.
    pub errors: std::collections::BTreeMap<&'static str, String>,
}

impl LoginTexts {
    /// The page for `site`; `bot` is the bot's username, when known.
    pub(crate) fn new(lang: Lang, site: &str, bot: Option<&str>) -> Self {
        let key = |k: &str| t(lang, &format!("page-login-{k}"));
        let with_bot =
            |k: &str, bot: &str| t_with(lang, &format!("page-login-{k}"), &[("bot", text(bot))]);
        Self {
            title: t_with(lang, "page-login-title", &[("site", text(site))]),
            lead: key("lead"),
            tap: key("tap"),
            open: key("open"),
            tap_hint: key("tap-hint"),
            pick: key("pick"),
            continue_tap: key("continue"),
            or: key("or"),
            phone: key("phone"),
            send: key("send"),
            code: key("code"),
            verify: key("verify"),
            resend_in: t_with(lang, "page-login-resend-in", &[("seconds", text("{s}"))]),
            resend: key("resend"),
            sent: bot.map_or_else(|| key("sent"), |bot| with_bot("sent-from", bot)),
            no_code: key("no-code"),
            open_bot: bot.map(|bot| with_bot("open-bot", bot)),
            waiting: key("waiting"),
            denied: key("denied"),
            expired: key("expired"),
            done: key("done"),
            footer: key("footer"),
            errors: LOGIN_ERRORS
                .into_iter()
                .map(|code| (code, key(&code.replace('_', "-"))))
                .collect(),
        }
    }

    /// What the page says for the API's error `code`.
    pub(crate) fn error(&self, code: &str) -> &str {
        self.errors
            .get(code)
            .or_else(|| self.errors.get("unavailable"))
            .map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_text_is_found_in_every_language() {
        for lang in Lang::ALL {
            let texts = [
                serde_json::to_string(&LoginTexts::new(lang, "Bozor.uz", Some("shop_bot"))),
                serde_json::to_string(&LoginTexts::new(lang, "Bozor.uz", None)),
            ];
            let pages = [
                format!("{:?}", refused(lang)),
                format!("{:?}", logout(lang, Some("Bozor.uz"))),
                format!("{:?}", logged_out(lang)),
            ];
            for text in texts.into_iter().map(Result::unwrap).chain(pages) {
                assert!(!text.contains("Unknown localization"), "{lang:?}: {text}");
                assert!(!text.contains("{ $"), "{lang:?}: {text}");
            }
        }
    }

    #[test]
    fn the_login_page_speaks_the_language_asked() {
        let ru = LoginTexts::new(Lang::Ru, "Bozor.uz", Some("shop_bot"));
        assert_eq!(ru.title, "Вход на Bozor.uz");
        assert!(ru.sent.contains("@shop_bot"), "{}", ru.sent);
        assert_eq!(ru.resend_in, "Новый код через {s} с");
        assert_eq!(ru.error("invalid_code"), "Код неверный или устарел.");
        assert_eq!(ru.error("internal"), ru.error("unavailable"));
    }
}
