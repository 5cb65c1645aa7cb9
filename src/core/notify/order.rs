//! An "order created" event as the shop backend sends it, checked field by field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, de};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, OneOfBuilder, RefOr, Type, schema::Schema},
};
use uuid::Uuid;

use crate::error::{Error, Result};

/// A non-negative decimal amount, from a JSON number or a decimal string, kept as text so no
/// precision is lost (`"1250000.50"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub(crate) struct Amount(String);

impl Amount {
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let ok = !int.is_empty()
            && int.len() <= 18
            && digits(int)
            && frac.len() <= 8
            && digits(frac)
            && !(text.contains('.') && frac.is_empty());
        ok.then(|| Self(text.to_string()))
    }

    /// With thousands separated by spaces: `1 250 000.50`.
    pub(crate) fn grouped(&self) -> String {
        let (int, frac) = self.0.split_once('.').unwrap_or((&self.0, ""));
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(' ');
            }
            out.push(c);
        }
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        out
    }
}

impl PartialSchema for Amount {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "A non-negative amount: a decimal string (up to 18 + 8 digits) or a JSON number.",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^\s*[0-9]{1,18}(\.[0-9]{1,8})?\s*$"))
                    .examples(["1250000.50"]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(0)),
            )
            .into()
    }
}

impl ToSchema for Amount {}

/// Order ids may be strings or non-negative integers.
fn order_id_schema() -> Schema {
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::String))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .examples(["A-1024"])
        .into()
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a non-negative number or decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Amount, E> {
                u64::try_from(v)
                    .map(|v| Amount(v.to_string()))
                    .map_err(|_| E::custom("must not be negative"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Amount, E> {
                if !v.is_finite() || v < 0.0 {
                    return Err(E::custom("must be a non-negative number"));
                }
                Amount::parse(&v.to_string()).ok_or_else(|| E::custom("is out of range"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                Amount::parse(v).ok_or_else(|| E::custom("must be a decimal like 1250000.50"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// Order ids may come as strings or numbers.
fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(deserializer)? {
        Id::Text(s) => s,
        Id::Number(n) => n.to_string(),
    })
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct Customer {
    pub name: String,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct Item {
    pub name: String,
    pub quantity: Amount,
    pub price: Amount,
}

/// An order as the shop backend reports it; `(shop_id, order_id)` identifies it, so a resent
/// order is not announced twice.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
pub(crate) struct Order {
    pub shop_id: Uuid,
    #[serde(deserialize_with = "string_or_number")]
    #[schema(schema_with = order_id_schema)]
    pub order_id: String,
    pub total: Amount,
    pub currency: String,
    pub customer: Customer,
    pub address: String,
    #[serde(default)]
    pub items: Vec<Item>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub order_url: Option<String>,
}

fn invalid(field: &str, message: &str) -> Error {
    Error::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// No NUL anywhere: PostgreSQL cannot store it, and no shop means one.
fn no_nul(field: &str, value: &str) -> Result<()> {
    if value.contains('\0') {
        return Err(invalid(field, "must not contain NUL characters"));
    }
    Ok(())
}

fn text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    no_nul(field, value)?;
    if value.chars().count() > max {
        return Err(invalid(field, &format!("must be at most {max} characters")));
    }
    Ok(())
}

impl Order {
    /// Checks what serde cannot: lengths, emptiness, URL schemes.
    pub(crate) fn validate(&self) -> Result<()> {
        text("order_id", &self.order_id, 128)?;
        text("currency", &self.currency, 8)?;
        text("customer.name", &self.customer.name, 200)?;
        if let Some(phone) = &self.customer.phone {
            text("customer.phone", phone, 32)?;
        }
        text("address", &self.address, 1000)?;
        if self.items.len() > 500 {
            return Err(invalid("items", "must hold at most 500 items"));
        }
        for (i, item) in self.items.iter().enumerate() {
            text(&format!("items[{i}].name"), &item.name, 300)?;
        }
        if let Some(comment) = &self.comment {
            // A message shows at most 4096 characters: the comment is shortened to fit, never
            // refused for what a customer typed at checkout.
            if comment.chars().count() > 4096 {
                return Err(invalid("comment", "must be at most 4096 characters"));
            }
            no_nul("comment", comment)?;
        }
        if let Some(url) = &self.order_url {
            let parsed = url::Url::parse(url).map_err(|_| invalid("order_url", "must be a URL"))?;
            if !matches!(parsed.scheme(), "http" | "https") || url.len() > 2048 {
                return Err(invalid("order_url", "must be an http(s) URL"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_come_as_numbers_or_strings() {
        let a: Amount = serde_json::from_str("1250000").unwrap();
        assert_eq!(a.grouped(), "1 250 000");
        let a: Amount = serde_json::from_str("\"1250000.50\"").unwrap();
        assert_eq!(a.grouped(), "1 250 000.50");
        let a: Amount = serde_json::from_str("99.5").unwrap();
        assert_eq!(a.grouped(), "99.5");
        assert_eq!(Amount::parse("100").unwrap().grouped(), "100");
        assert_eq!(Amount::parse("1000").unwrap().grouped(), "1 000");
    }

    #[test]
    fn bad_amounts_are_refused() {
        for bad in [
            "-5", "\"abc\"", "\"1,5\"", "\"1.\"", "\"\"", "true", "\"1e5\"",
        ] {
            assert!(serde_json::from_str::<Amount>(bad).is_err(), "{bad}");
        }
    }
}
