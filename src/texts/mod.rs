//! Every text a person reads, in Uzbek (Latin), Russian and English — the bot's messages and
//! buttons here, otpgram's pages in [`page`] — from one Fluent file per language in `locales/`,
//! embedded at build time. A unit test fails when a key is missing in any language.

pub(crate) mod login;
pub(crate) mod page;

use std::{borrow::Cow, collections::HashMap, time::Duration};

use fluent_templates::{
    LanguageIdentifier, Loader, fluent_bundle::FluentValue, langid, static_loader,
};

pub(crate) use crate::domain::Lang;

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around values: phones and links must stay as they are.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Fluent's identifier for a language.
fn id(lang: Lang) -> LanguageIdentifier {
    match lang {
        Lang::Uz => langid!("uz"),
        Lang::Ru => langid!("ru"),
        Lang::En => langid!("en"),
    }
}

fn t(lang: Lang, key: &str) -> String {
    LOCALES.lookup(&id(lang), key)
}

fn t_with(lang: Lang, key: &str, args: &[(&'static str, FluentValue<'static>)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), v.clone()))
        .collect();
    LOCALES.lookup_with_args(&id(lang), key, &args)
}

fn text(value: &str) -> FluentValue<'static> {
    FluentValue::from(value.to_string())
}

fn human_duration(lang: Lang, d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs.is_multiple_of(60) {
        t_with(lang, "minutes", &[("n", FluentValue::from(secs / 60))])
    } else {
        t_with(lang, "seconds", &[("n", FluentValue::from(secs))])
    }
}

/// Escapes text for Telegram's HTML parse mode.
pub(crate) fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub(crate) fn share_phone_button(lang: Lang) -> String {
    t(lang, "share-phone-button")
}

pub(crate) fn get_code_button(lang: Lang) -> String {
    t(lang, "get-code-button")
}

pub(crate) fn welcome(lang: Lang) -> String {
    t(lang, "welcome")
}

pub(crate) fn help(lang: Lang) -> String {
    format!("{}\n\n{}", t(lang, "help"), t(lang, "commands"))
}

pub(crate) fn linked(lang: Lang, masked_phone: &str, site_login_url: Option<&str>) -> String {
    let mut out = t_with(lang, "linked", &[("phone", text(masked_phone))]);
    if let Some(url) = site_login_url {
        out.push_str("\n\n");
        out.push_str(&t_with(lang, "log-in-here", &[("url", text(url))]));
    }
    out
}

pub(crate) fn not_your_contact(lang: Lang) -> String {
    t(lang, "not-your-contact")
}

pub(crate) fn typed_phone_refused(lang: Lang) -> String {
    t(lang, "typed-phone-refused")
}

pub(crate) fn invalid_contact_phone(lang: Lang) -> String {
    t(lang, "invalid-contact-phone")
}

pub(crate) fn moved_away(lang: Lang, masked_phone: &str) -> String {
    t_with(lang, "moved-away", &[("phone", text(masked_phone))])
}

/// Told to a phone's owner once when site-side guessing locks the phone's codes.
pub(crate) fn phone_locked(lang: Lang, masked_phone: &str) -> String {
    t_with(lang, "phone-locked", &[("phone", text(masked_phone))])
}

pub(crate) fn status_linked(lang: Lang, masked_phone: &str, verified: bool) -> String {
    let verified = t(
        lang,
        if verified {
            "verified-yes"
        } else {
            "verified-no"
        },
    );
    format!(
        "{}\n{verified}",
        t_with(lang, "status-linked", &[("phone", text(masked_phone))])
    )
}

pub(crate) fn status_unlinked(lang: Lang) -> String {
    t(lang, "status-unlinked")
}

pub(crate) fn temporarily_unavailable(lang: Lang) -> String {
    t(lang, "temporarily-unavailable")
}

pub(crate) fn code_offer(lang: Lang, masked_phone: &str) -> String {
    t_with(lang, "code-offer", &[("phone", text(masked_phone))])
}

pub(crate) fn link_first(lang: Lang) -> String {
    t(lang, "link-first")
}

pub(crate) fn wait_for_code(lang: Lang, seconds: u64) -> String {
    t_with(
        lang,
        "wait-for-code",
        &[("seconds", FluentValue::from(seconds))],
    )
}

pub(crate) fn language_set(lang: Lang) -> String {
    t(lang, "language-set")
}

pub(crate) fn language_usage(lang: Lang) -> String {
    t(lang, "language-usage")
}

/// The login code message, in HTML parse mode.
pub(crate) fn login_code(
    lang: Lang,
    code: &str,
    ttl: Duration,
    site_login_url: Option<&str>,
) -> String {
    let mut out = t_with(
        lang,
        "login-code",
        &[
            ("code", text(&format!("<code>{code}</code>"))),
            ("duration", text(&human_duration(lang, ttl))),
        ],
    );
    if let Some(url) = site_login_url {
        out.push_str("\n\n");
        out.push_str(&t_with(
            lang,
            "enter-it-at",
            &[("url", text(&escape_html(url)))],
        ));
    }
    out
}

/// A code asked for on the hosted page for `site`: the message names the site and its origin,
/// so a customer can tell whose login page has it (and whose does not).
pub(crate) fn login_code_for(
    lang: Lang,
    code: &str,
    ttl: Duration,
    site: &crate::domain::Site,
) -> String {
    t_with(
        lang,
        "login-code-for",
        &[
            ("code", text(&format!("<code>{code}</code>"))),
            ("duration", text(&human_duration(lang, ttl))),
            ("site", text(&escape_html(&site.name))),
            ("origin", text(&escape_html(&site.origin))),
        ],
    )
}

pub(crate) fn shop_subscribed(lang: Lang, shop_name: &str) -> String {
    t_with(lang, "shop-subscribed", &[("shop", text(shop_name))])
}

/// Told to a shop's chats when another chat subscribes.
pub(crate) fn shop_chat_added(lang: Lang, shop_name: &str, chat: &str, who: &str) -> String {
    t_with(
        lang,
        "shop-chat-added",
        &[
            ("shop", text(shop_name)),
            ("chat", text(chat)),
            ("who", text(who)),
        ],
    )
}

pub(crate) fn group_named(lang: Lang, title: &str) -> String {
    t_with(lang, "group-named", &[("title", text(title))])
}

pub(crate) fn private_chat(lang: Lang) -> String {
    t(lang, "private-chat")
}

pub(crate) fn shop_link_invalid(lang: Lang) -> String {
    t(lang, "shop-link-invalid")
}

pub(crate) fn link_usage(lang: Lang) -> String {
    t(lang, "link-usage")
}

pub(crate) fn admins_only(lang: Lang) -> String {
    t(lang, "admins-only")
}

/// A list of shops in one sentence, or the sentence for none.
fn shop_list(lang: Lang, key: &str, none_key: &str, shop_names: &[String]) -> String {
    if shop_names.is_empty() {
        t(lang, none_key)
    } else {
        t_with(lang, key, &[("shops", text(&shop_names.join(", ")))])
    }
}

pub(crate) fn shops_unlinked(lang: Lang, shop_names: &[String]) -> String {
    shop_list(lang, "shops-unlinked", "shops-unlinked-none", shop_names)
}

pub(crate) fn status_shops(lang: Lang, shop_names: &[String]) -> String {
    shop_list(lang, "status-shops", "status-shops-none", shop_names)
}

/// The labels of an order message (HTML is added by `notify::message`).
pub(crate) struct OrderLabels {
    pub items: String,
    pub open: String,
    lang: Lang,
}

impl OrderLabels {
    pub(crate) fn new(lang: Lang) -> Self {
        Self {
            items: t(lang, "order-items"),
            open: t(lang, "order-open"),
            lang,
        }
    }

    /// "New order #…" with the (already escaped) order id.
    pub(crate) fn title(&self, order_id: &str) -> String {
        t_with(self.lang, "order-new", &[("order", text(order_id))])
    }

    pub(crate) fn more(&self, count: usize) -> String {
        t_with(
            self.lang,
            "order-more",
            &[("count", FluentValue::from(count))],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message ids defined in one language's file.
    fn keys(lang: Lang) -> std::collections::BTreeSet<String> {
        let path = format!(
            "{}/locales/{}/main.ftl",
            env!("CARGO_MANIFEST_DIR"),
            lang.code()
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .filter(|l| {
                !l.starts_with(' ')
                    && !l.starts_with('#')
                    && !l.starts_with('*')
                    && !l.starts_with('}')
            })
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn every_language_has_every_key() {
        let english = keys(Lang::En);
        assert!(english.len() > 20);
        for lang in Lang::ALL {
            assert_eq!(keys(lang), english, "{lang:?} differs from English");
        }
    }

    #[test]
    fn durations_read_naturally_in_each_language() {
        assert_eq!(
            human_duration(Lang::En, Duration::from_secs(600)),
            "10 minutes"
        );
        assert_eq!(
            human_duration(Lang::En, Duration::from_secs(60)),
            "1 minute"
        );
        assert_eq!(
            human_duration(Lang::En, Duration::from_secs(90)),
            "90 seconds"
        );
        assert_eq!(
            human_duration(Lang::Ru, Duration::from_secs(600)),
            "10 минут"
        );
        assert_eq!(
            human_duration(Lang::Ru, Duration::from_secs(120)),
            "2 минуты"
        );
        assert_eq!(
            human_duration(Lang::Uz, Duration::from_secs(600)),
            "10 daqiqa"
        );
    }

    #[test]
    fn code_messages_say_how_long_and_warn_in_every_language() {
        for (lang, warning) in [
            (Lang::En, "Never share"),
            (Lang::Ru, "Никому"),
            (Lang::Uz, "hech kimga"),
        ] {
            let text = login_code(
                lang,
                "123456",
                Duration::from_secs(600),
                Some("https://shop.example/login"),
            );
            assert!(text.contains("<code>123456</code>"), "{text}");
            assert!(text.contains(warning), "{text}");
            assert!(text.contains("10"), "{text}");
            assert!(text.contains("https://shop.example/login"), "{text}");
        }
    }

    #[test]
    fn telegram_language_codes_pick_the_language() {
        assert_eq!(Lang::from_code(Some("ru"), Lang::En), Lang::Ru);
        assert_eq!(Lang::from_code(Some("uz-Latn"), Lang::En), Lang::Uz);
        assert_eq!(Lang::from_code(Some("de"), Lang::Uz), Lang::Uz);
        assert_eq!(Lang::from_code(None, Lang::Ru), Lang::Ru);
    }

    #[test]
    fn values_keep_their_exact_characters() {
        let text = linked(Lang::En, "+99890*****67", None);
        assert!(
            text.contains("Your phone +99890*****67 is linked"),
            "{text:?}"
        );
    }
}
