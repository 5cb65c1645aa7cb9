//! Every text a Telegram user sees, in one place. (English only for now; the translations of
//! issue 4 replace these functions' bodies, not their callers.)

use std::time::Duration;

fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        s if s % 60 == 0 && s >= 60 => {
            let m = s / 60;
            format!("{m} minute{}", if m == 1 { "" } else { "s" })
        }
        s => format!("{s} second{}", if s == 1 { "" } else { "s" }),
    }
}

/// Escapes text for Telegram's HTML parse mode.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub const SHARE_PHONE_BUTTON: &str = "📱 Share phone number";
pub const GET_CODE_BUTTON: &str = "🔑 Get login code";

pub fn code_offer(masked_phone: &str) -> String {
    format!("Need to log in on the website? Press the button for a login code for {masked_phone}.")
}

pub fn link_first() -> String {
    "Link your phone first: press “Share phone number” below.".into()
}

pub fn wait_for_code(seconds: u64) -> String {
    format!("A code was sent a moment ago. You can ask for a new one in {seconds} s.")
}

pub fn welcome() -> String {
    "Welcome! This bot sends you login codes for the shop's website.\n\n\
     Press “Share phone number” below to link your phone to this Telegram account."
        .into()
}

pub fn help(commands: &str) -> String {
    format!(
        "Link your phone with the “Share phone number” button, then ask for a code on the \
         shop's website: it arrives here.\n\n{commands}"
    )
}

pub fn linked(masked_phone: &str, site_login_url: Option<&str>) -> String {
    let mut text =
        format!("✅ Your phone {masked_phone} is linked. Login codes will arrive in this chat.");
    if let Some(url) = site_login_url {
        text.push_str(&format!("\n\nLog in here: {url}"));
    }
    text
}

pub fn not_your_contact() -> String {
    "That is someone else's contact. Only your own phone number can be linked: press \
     “Share phone number” below."
        .into()
}

pub fn typed_phone_refused() -> String {
    "For your security a typed number can't be linked. Press “Share phone number” below so \
     Telegram confirms it is yours."
        .into()
}

pub fn invalid_contact_phone() -> String {
    "That phone number doesn't look valid, so it can't be linked.".into()
}

pub fn moved_away(masked_phone: &str) -> String {
    format!(
        "Your phone {masked_phone} was linked to another Telegram account, so login codes for it \
         no longer arrive here. If that wasn't you, share your phone again."
    )
}

pub fn status_linked(masked_phone: &str, verified: bool) -> String {
    format!(
        "Linked phone: {masked_phone}\nVerified: {}",
        if verified {
            "yes (you have logged in)"
        } else {
            "not yet (log in once on the website)"
        }
    )
}

pub fn status_unlinked() -> String {
    "No phone is linked to this account yet. Press “Share phone number” to link one.".into()
}

pub fn temporarily_unavailable() -> String {
    "Something went wrong on our side. Please try again in a minute.".into()
}

pub fn shop_subscribed(shop_name: &str) -> String {
    format!("🛎 This chat now receives new orders of “{shop_name}”.")
}

pub fn shop_link_invalid() -> String {
    "That shop link is unknown or no longer valid. Ask the shop for a new link.".into()
}

pub fn link_usage() -> String {
    "Send /link followed by the shop's token, e.g. /link shop_AbC123 (the token is the end of \
     the shop's owner link)."
        .into()
}

pub fn admins_only() -> String {
    "Only an administrator of this group can do that.".into()
}

pub fn shops_unlinked(shop_names: &[String]) -> String {
    if shop_names.is_empty() {
        "This chat was not receiving orders from any shop.".into()
    } else {
        format!(
            "This chat no longer receives orders of: {}.",
            shop_names.join(", ")
        )
    }
}

pub fn status_shops(shop_names: &[String]) -> String {
    if shop_names.is_empty() {
        "This chat receives orders of no shop.".into()
    } else {
        format!("This chat receives orders of: {}.", shop_names.join(", "))
    }
}

/// The login code message, in HTML parse mode.
pub fn login_code(code: &str, ttl: Duration, site_login_url: Option<&str>) -> String {
    let mut text = format!(
        "🔐 Your login code: <code>{code}</code>\n\nIt is valid for {}. Never share it with \
         anyone: we will never ask you for it.",
        human_duration(ttl)
    );
    if let Some(url) = site_login_url {
        text.push_str(&format!("\n\nEnter it at {}", escape_html(url)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_secs(600)), "10 minutes");
        assert_eq!(human_duration(Duration::from_secs(60)), "1 minute");
        assert_eq!(human_duration(Duration::from_secs(90)), "90 seconds");
    }

    #[test]
    fn code_message_says_how_long_and_warns() {
        let text = login_code(
            "123456",
            Duration::from_secs(600),
            Some("https://shop.example/login"),
        );
        assert!(text.contains("<code>123456</code>"));
        assert!(text.contains("10 minutes"));
        assert!(text.contains("Never share it"));
    }
}
