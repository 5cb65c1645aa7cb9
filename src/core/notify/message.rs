//! The Telegram message for an order: HTML with every shop-supplied string escaped and kept on
//! its own line, shortened to fit Telegram's limit as Telegram counts it.

use super::order::Order;
use crate::{
    domain::Lang,
    texts::{OrderLabels, escape_html},
};

/// Telegram's limit on a message's text, in UTF-16 code units of the text it shows.
const LIMIT: usize = 4096;

/// The length Telegram checks against `LIMIT`: UTF-16 code units of the text as shown, so an
/// HTML tag counts nothing and an entity (`&amp;`) one character, while an emoji outside the
/// Basic Multilingual Plane counts two.
pub(crate) fn shown_length(html: &str) -> usize {
    let mut length = 0;
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        match c {
            '<' => match rest.find('>') {
                Some(end) => {
                    rest = &rest[end + 1..];
                    continue;
                }
                None => length += 1,
            },
            '&' => {
                if let Some(end) = rest.find(';').filter(|&end| end <= 8) {
                    length += 1;
                    rest = &rest[end + 1..];
                    continue;
                }
                length += 1;
            }
            c => length += c.len_utf16(),
        }
        rest = &rest[c.len_utf8()..];
    }
    length
}

/// Whether `c` may break or reorder a line: control characters (line breaks, tabs, C1), the
/// Unicode line and paragraph separators, and the bidirectional overrides and isolates.
fn breaks_lines(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A shop-supplied value on one line: whatever could start a new line (and so forge one of the
/// message's own lines) becomes a space, and runs of spaces collapse.
fn one_line(s: &str) -> String {
    s.split(|c: char| breaks_lines(c) || c.is_whitespace())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `s` cut to at most `max` UTF-16 code units, with an ellipsis when cut.
fn cut(s: &str, max: usize) -> String {
    if s.encode_utf16().count() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        if used + c.len_utf16() > max.saturating_sub(1) {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// A one-line field, cut to `max` UTF-16 code units, escaped.
fn clip(s: &str, max: usize) -> String {
    escape_html(&cut(&one_line(s), max))
}

/// The comment keeps its line breaks, each line cleaned as a field is and indented under the
/// comment's mark, so that no line of it can pass for one of the message's own.
fn comment_lines(comment: &str, max: usize) -> String {
    let lines: Vec<String> = comment
        .lines()
        .map(one_line)
        .filter(|line| !line.is_empty())
        .collect();
    escape_html(&cut(&lines.join("\n"), max)).replace('\n', "\n     ")
}

pub(crate) fn render(shop_name: &str, order: &Order, lang: Lang) -> String {
    let labels = OrderLabels::new(lang);
    let mut head = format!(
        "🛒 <b>{}</b> — {}\n💰 <b>{} {}</b>\n👤 {}",
        labels.title(&clip(&order.order_id, 64)),
        clip(shop_name, 100),
        order.total.grouped(),
        clip(&order.currency, 8),
        clip(&order.customer.name, 100),
    );
    if let Some(phone) = &order.customer.phone {
        head.push_str(&format!(", {}", clip(phone, 32)));
    }
    head.push_str(&format!("\n📍 {}", clip(&order.address, 500)));

    let mut tail = String::new();
    if let Some(comment) = order.comment.as_deref().filter(|c| !one_line(c).is_empty()) {
        tail.push_str(&format!("\n\n💬 {}", comment_lines(comment, 1000)));
    }
    if let Some(url) = &order.order_url {
        tail.push_str(&format!(
            "\n\n<a href=\"{}\">{}</a>",
            escape_html(url).replace('"', "&quot;"),
            labels.open
        ));
    }

    let mut items = String::new();
    if !order.items.is_empty() {
        items.push_str(&format!("\n\n<b>{}</b>", labels.items));
        // Room for the "… and N more" line.
        let budget = LIMIT - 40;
        let fixed = shown_length(&head) + shown_length(&tail);
        let mut used = fixed + shown_length(&items);
        for (shown, item) in order.items.iter().enumerate() {
            let line = format!(
                "\n• {} × {} — {}",
                clip(&item.name, 200),
                item.quantity.grouped(),
                item.price.grouped()
            );
            let length = shown_length(&line);
            if used + length > budget {
                items.push_str(&format!("\n{}", labels.more(order.items.len() - shown)));
                break;
            }
            used += length;
            items.push_str(&line);
        }
    }
    format!("{head}{items}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::notify::order::{Amount, Customer, Item};

    fn order() -> Order {
        Order {
            shop_id: uuid::Uuid::nil(),
            order_id: "A-1001".into(),
            total: Amount::parse("1250000").unwrap(),
            currency: "UZS".into(),
            customer: Customer {
                name: "<b>x</b> & co".into(),
                phone: Some("+998901234567".into()),
            },
            address: "Tashkent, Amir Temur 1".into(),
            items: vec![Item {
                name: "Green tea".into(),
                quantity: Amount::parse("2").unwrap(),
                price: Amount::parse("25000").unwrap(),
            }],
            comment: Some("Ring twice".into()),
            order_url: Some("https://shop.example/orders/1001?a=1&b=2".into()),
        }
    }

    #[test]
    fn user_strings_are_escaped_and_amounts_grouped() {
        let text = render("Tea <House>", &order(), Lang::En);
        assert!(text.contains("&lt;b&gt;x&lt;/b&gt; &amp; co"), "{text}");
        assert!(text.contains("Tea &lt;House&gt;"));
        assert!(text.contains("1 250 000 UZS"));
        assert!(text.contains("• Green tea × 2 — 25 000"));
        assert!(
            text.contains(
                "<a href=\"https://shop.example/orders/1001?a=1&amp;b=2\">Open order</a>"
            )
        );
        assert!(text.contains("Ring twice"));
    }

    #[test]
    fn orders_are_written_in_the_chats_language() {
        assert!(render("Choyxona", &order(), Lang::Ru).contains("Новый заказ #A-1001"));
        assert!(render("Choyxona", &order(), Lang::Uz).contains("Yangi buyurtma #A-1001"));
        assert!(render("Choyxona", &order(), Lang::Uz).contains("Buyurtmani ochish"));
    }

    #[test]
    fn long_orders_are_shortened_below_the_limit() {
        let mut big = order();
        big.items = (0..500)
            .map(|i| Item {
                name: format!("Item number {i} with a long descriptive name"),
                quantity: Amount::parse("1").unwrap(),
                price: Amount::parse("1000").unwrap(),
            })
            .collect();
        big.comment = Some("c".repeat(2000));
        let text = render("Tea House", &big, Lang::En);
        assert!(shown_length(&text) <= LIMIT, "{}", shown_length(&text));
        assert!(text.contains("more"), "says that items were left out");
        assert!(text.contains("Open order"), "keeps the link");
    }

    #[test]
    fn length_is_counted_as_telegram_counts_it() {
        assert_eq!(shown_length("<b>ab</b> &amp; c"), 6);
        assert_eq!(shown_length("😀"), 2);
        assert_eq!(shown_length("é"), 1);
        assert_eq!(
            shown_length("<a href=\"https://x.example/?a=1&amp;b=2\">go</a>"),
            2
        );
    }

    #[test]
    fn emoji_everywhere_still_fit() {
        let mut big = order();
        let emoji = "😀".repeat(3000);
        big.customer.name = emoji.clone();
        big.address = emoji.clone();
        big.comment = Some(emoji.clone());
        big.items = (0..300)
            .map(|_| Item {
                name: emoji.clone(),
                quantity: Amount::parse("1").unwrap(),
                price: Amount::parse("1000").unwrap(),
            })
            .collect();
        let text = render(&emoji, &big, Lang::En);
        assert!(shown_length(&text) <= LIMIT, "{}", shown_length(&text));
        assert!(text.contains("Open order"));
    }

    #[test]
    fn fields_cannot_forge_lines_of_the_message() {
        let mut forged = order();
        forged.customer.name = "Ann\n💰 <b>0 UZS</b>\r\n📍 fake".into();
        forged.address = "Street 1\u{2028}📍 Other street\u{202E}".into();
        forged.items[0].name = "Tea\n• Free gift × 1 — 0".into();
        forged.comment = Some("Ring twice\n\n\nleave at the door\u{0085}💰 paid".into());
        let text = render("Tea House", &forged, Lang::En);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("💰")).count(),
            1,
            "{text}"
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("📍")).count(),
            1,
            "{text}"
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("•")).count(),
            1,
            "{text}"
        );
        assert!(
            text.contains("👤 Ann 💰 &lt;b&gt;0 UZS&lt;/b&gt; 📍 fake"),
            "{text}"
        );
        // The comment keeps its lines, each indented under its mark.
        assert!(
            text.contains("💬 Ring twice\n     leave at the door 💰 paid"),
            "{text}"
        );
        assert!(!text.contains('\u{202E}'));
    }
}
