//! A person's name as a shop knows it: what `full_name` holds.

use std::fmt;

/// A name of 1 to [`FullName::MAX_CHARS`] characters, trimmed, without control characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FullName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum InvalidName {
    #[error("This field may not be blank.")]
    Blank,
    #[error("Ensure this field has no more than 256 characters.")]
    TooLong,
    #[error("This field may not contain control characters.")]
    Control,
}

impl FullName {
    /// The column's width; Telegram's first and last name together are at most 129.
    pub(crate) const MAX_CHARS: usize = 256;

    pub(crate) fn parse(input: &str) -> Result<Self, InvalidName> {
        let name = input.trim();
        if name.is_empty() {
            return Err(InvalidName::Blank);
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(InvalidName::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidName::Control);
        }
        Ok(Self(name.to_string()))
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            FullName::parse("  Ann Lee ").unwrap().into_string(),
            "Ann Lee"
        );
        assert_eq!(FullName::parse(" \t"), Err(InvalidName::Blank));
        assert_eq!(FullName::parse(&"я".repeat(257)), Err(InvalidName::TooLong));
        assert!(FullName::parse(&"я".repeat(256)).is_ok());
        assert_eq!(FullName::parse("Ann\u{0}"), Err(InvalidName::Control));
    }
}
