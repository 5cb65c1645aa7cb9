//! The Telegram message for an order: HTML with every user-supplied string escaped, shortened
//! to fit Telegram's 4096-character limit.

use super::order::Order;
use crate::texts::{Lang, OrderLabels, escape_html};

/// Telegram's limit on a message's text.
const LIMIT: usize = 4096;

/// `s`, cut to `max` characters with an ellipsis, then escaped.
fn clip(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= max {
        escape_html(s)
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        escape_html(&format!("{}…", cut.trim_end()))
    }
}

pub fn render(shop_name: &str, order: &Order, lang: Lang) -> String {
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
    if let Some(comment) = order.comment.as_deref().filter(|c| !c.trim().is_empty()) {
        tail.push_str(&format!("\n\n💬 {}", clip(comment, 1000)));
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
        for (shown, item) in order.items.iter().enumerate() {
            let line = format!(
                "\n• {} × {} — {}",
                clip(&item.name, 200),
                item.quantity.grouped(),
                item.price.grouped()
            );
            let used = head.chars().count() + items.chars().count() + tail.chars().count();
            if used + line.chars().count() > budget {
                items.push_str(&format!("\n{}", labels.more(order.items.len() - shown)));
                break;
            }
            items.push_str(&line);
        }
    }
    format!("{head}{items}{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::order::{Amount, Customer, Item};

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
        assert!(text.chars().count() <= LIMIT, "{}", text.chars().count());
        assert!(text.contains("more"), "says that items were left out");
        assert!(text.contains("Open order"), "keeps the link");
    }
}
