//! A Telegram id as the older integrations' clients send it: a JSON number, or a string of
//! digits (`"123456789"`, with a leading `-` for a group chat), as their own APIs accepted. The
//! `/api/v1` API stays strict (numbers only).

use std::fmt;

use serde::{Deserialize, Deserializer, de};
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, OneOfBuilder, RefOr, Type, schema::Schema},
};

use crate::domain::TelegramId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AnyTelegramId(pub TelegramId);

impl AnyTelegramId {
    /// `-?[0-9]{1,20}` that fits an `i64`.
    fn parse(text: &str) -> Option<Self> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok().map(Self)
    }
}

impl<'de> Deserialize<'de> for AnyTelegramId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = AnyTelegramId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Telegram id: a whole number, or a string of digits")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<AnyTelegramId, E> {
                Ok(AnyTelegramId(TelegramId(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<AnyTelegramId, E> {
                i64::try_from(v)
                    .map(|id| AnyTelegramId(TelegramId(id)))
                    .map_err(|_| E::custom("is too large for a Telegram id"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyTelegramId, E> {
                AnyTelegramId::parse(v).ok_or_else(|| {
                    E::custom("must be a Telegram id: a whole number or a string of digits")
                })
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl PartialSchema for AnyTelegramId {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .description(Some(
                "A Telegram id: a JSON integer, or a string of digits (a leading - for a group).",
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Int64,
                    )))
                    .examples([123_456_789]),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^-?[0-9]{1,18}$"))
                    .examples(["123456789"]),
            )
            .into()
    }
}

impl ToSchema for AnyTelegramId {}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> Result<AnyTelegramId, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_digit_strings_are_ids() {
        assert_eq!(
            read("123456789").unwrap(),
            AnyTelegramId(TelegramId(123_456_789))
        );
        assert_eq!(
            read("\"123456789\"").unwrap(),
            AnyTelegramId(TelegramId(123_456_789))
        );
        assert_eq!(
            read("\"-1001234567890\"").unwrap(),
            AnyTelegramId(TelegramId(-1_001_234_567_890))
        );
        assert_eq!(read("-42").unwrap(), AnyTelegramId(TelegramId(-42)));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "\"\"",
            "\"12a\"",
            "\" 12\"",
            "\"+12\"",
            "\"1.5\"",
            "1.5",
            "true",
            "null",
            "\"99999999999999999999\"",
            "18446744073709551615",
            "[1]",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }
}
