//! Phone numbers in E.164 form (`+998901234567`), the one spelling used for keys and rows.

use std::fmt;

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat};

/// A phone number that libphonenumber accepts as valid, stored in E.164. `Debug` and `Display`
/// both print it masked, so that no log line can hold a full number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid phone number")]
pub struct InvalidPhone;

impl Phone {
    /// Parses a number as a person types it: spaces, dashes, dots and brackets are allowed; a
    /// leading `+` or `00` marks an international number. A number without either is read with
    /// `default_cc` (digits, e.g. `998`) unless it already starts with that code.
    pub fn parse(input: &str, default_cc: Option<&str>) -> Result<Self, InvalidPhone> {
        let input = input.trim();
        if input.is_empty() || input.len() > 32 {
            return Err(InvalidPhone);
        }
        let (plus, rest) = match input.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        if !rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
        {
            return Err(InvalidPhone);
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let international = if plus {
            digits
        } else if let Some(stripped) = digits.strip_prefix("00") {
            stripped.to_string()
        } else {
            match default_cc {
                // "998901234567" with default 998 is already international.
                Some(cc) if digits.starts_with(cc) && digits.len() > cc.len() + 6 => digits,
                Some(cc) => format!("{cc}{}", digits.trim_start_matches('0')),
                None => digits,
            }
        };
        Self::from_international_digits(&international)
    }

    /// Parses the `phone_number` of a Telegram contact, which is always international but may
    /// come without the `+`.
    pub fn from_telegram(input: &str) -> Result<Self, InvalidPhone> {
        let digits: String = input.chars().filter(char::is_ascii_digit).collect();
        Self::from_international_digits(&digits)
    }

    fn from_international_digits(digits: &str) -> Result<Self, InvalidPhone> {
        if !(7..=15).contains(&digits.len()) {
            return Err(InvalidPhone);
        }
        let util = &*PHONE_NUMBER_UTIL;
        let number = util
            .parse(format!("+{digits}"), None)
            .map_err(|_| InvalidPhone)?;
        if !util.is_valid_number(&number) {
            return Err(InvalidPhone);
        }
        Ok(Self(
            util.format(&number, PhoneNumberFormat::E164).into_owned(),
        ))
    }

    /// A phone the SQL store wrote, trusted as it was when it was written: a number that was
    /// valid then stays the customer's even if the numbering rules change.
    pub(crate) fn from_store(e164: String) -> Self {
        Self(e164)
    }

    /// The E.164 form, e.g. `+998901234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A form safe for logs and chat messages: `+99890*****67`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// An E.164 number as it may be shown or logged: `+99890*****67`.
pub(crate) fn mask(e164: &str) -> String {
    let chars: Vec<char> = e164.chars().collect();
    let head = 6.min(chars.len());
    let tail = 2.min(chars.len() - head);
    let hidden = chars.len() - head - tail;
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - tail..])
        .collect()
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl fmt::Display for Phone {
    /// Displays masked, so that a phone formatted into a log line never leaks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neither_debug_nor_display_prints_the_whole_number() {
        let phone = Phone::parse("+998901234567", None).unwrap();
        assert_eq!(format!("{phone:?}"), "Phone(+99890*****67)");
        assert_eq!(format!("{phone}"), "+99890*****67");
        assert!(!format!("{:?}", Some(&phone)).contains("901234567"));
    }

    const UZ: Option<&str> = Some("998");

    #[test]
    fn common_spellings_normalise_to_e164() {
        for input in [
            "+998901234567",
            "+998 90 123-45-67",
            "998901234567",
            "00998901234567",
            "(90) 123 45 67",
            "901234567",
        ] {
            assert_eq!(
                Phone::parse(input, UZ).unwrap().as_str(),
                "+998901234567",
                "{input}"
            );
        }
    }

    #[test]
    fn other_countries_need_a_plus_or_00() {
        assert_eq!(
            Phone::parse("+7 916 123-45-67", UZ).unwrap().as_str(),
            "+79161234567"
        );
        assert_eq!(
            Phone::parse("+44 20 7946 0958", None).unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn garbage_is_not_a_phone() {
        for input in [
            "",
            "hello",
            "+",
            "12",
            "+998 90 abc",
            "99890123456789012345",
            "<script>",
        ] {
            assert_eq!(Phone::parse(input, UZ), Err(InvalidPhone), "{input}");
        }
    }

    #[test]
    fn telegram_contacts_are_international_without_plus() {
        assert_eq!(
            Phone::from_telegram("998901234567").unwrap().as_str(),
            "+998901234567"
        );
        assert_eq!(
            Phone::from_telegram("+79161234567").unwrap().as_str(),
            "+79161234567"
        );
    }

    #[test]
    fn masking_hides_the_middle() {
        let phone = Phone::parse("+998901234567", None).unwrap();
        assert_eq!(phone.masked(), "+99890*****67");
        assert_eq!(phone.to_string(), phone.masked());
    }
}
