//! `otp`: how codes are issued, guessed and limited, how phone numbers are read, and the review
//! numbers.

use std::{collections::HashMap, fmt, time::Duration};

use super::{ConfigError, Secret, env::Raw, invalid, seconds};
use crate::domain::{InvalidPhone, Phone};

/// How codes are issued, guessed and limited.
#[derive(Clone, Debug)]
pub struct OtpPolicy {
    pub ttl: Duration,
    pub length: u32,
    pub max_attempts: u32,
    pub resend_cooldown: Duration,
    pub max_sends_per_hour: u32,
    pub max_failures_per_hour: u32,
    /// Digits only, e.g. `998`: the country of numbers typed without one.
    pub default_country_code: Option<String>,
    /// Numbers with a fixed code for app-store review (`TEST_PHONES`), until a date.
    pub test_phones: Option<TestPhones>,
}

impl OtpPolicy {
    /// Reads a phone number as customers type it: E.164, or national digits in
    /// `DEFAULT_COUNTRY_CODE`'s country. The one place that applies the default country.
    pub fn phone(&self, input: &str) -> Result<Phone, InvalidPhone> {
        Phone::parse(input, self.default_country_code.as_deref())
    }
}

/// Review numbers: each accepts its fixed code, without a Telegram message, until `valid_until`.
/// They pass through the same limits as every phone.
#[derive(Clone)]
pub struct TestPhones {
    /// E.164 phone → fixed code.
    pub codes: HashMap<String, Secret>,
    pub valid_until: chrono::DateTime<chrono::Utc>,
}

impl fmt::Debug for TestPhones {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestPhones")
            .field("count", &self.codes.len())
            .field("valid_until", &self.valid_until)
            .finish()
    }
}

impl TestPhones {
    /// The fixed code of `phone`, while the list is valid.
    pub fn code_for(&self, phone: &crate::domain::Phone) -> Option<&Secret> {
        (chrono::Utc::now() < self.valid_until)
            .then(|| self.codes.get(phone.as_str()))
            .flatten()
    }
}

impl OtpPolicy {
    pub(super) fn from_raw(raw: &Raw) -> Result<Self, ConfigError> {
        if !(4..=8).contains(&raw.otp_length) {
            return Err(invalid("OTP_LENGTH", "must be between 4 and 8"));
        }
        for (var, value) in [
            ("OTP_MAX_ATTEMPTS", raw.otp_max_attempts),
            ("OTP_MAX_SENDS_PER_HOUR", raw.otp_max_sends_per_hour),
            ("OTP_MAX_FAILURES_PER_HOUR", raw.otp_max_failures_per_hour),
        ] {
            if value == 0 {
                return Err(invalid(var, "must be at least 1"));
            }
        }
        let default_country_code = match raw.default_country_code.as_deref() {
            Some(cc) => {
                let cc = cc.trim().trim_start_matches('+').to_string();
                if cc.is_empty() || cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        "DEFAULT_COUNTRY_CODE",
                        "must be 1 to 3 digits, e.g. 998",
                    ));
                }
                Some(cc)
            }
            None => None,
        };
        let test_phones = match raw.test_phones.as_deref().filter(|s| !s.trim().is_empty()) {
            None => None,
            Some(list) => Some(parse_test_phones(
                list,
                raw.test_phones_valid_until.as_deref(),
                default_country_code.as_deref(),
                raw.otp_length,
            )?),
        };
        Ok(Self {
            ttl: seconds("OTP_TTL_SECONDS", raw.otp_ttl_seconds, 1)?,
            length: raw.otp_length,
            max_attempts: raw.otp_max_attempts,
            resend_cooldown: seconds(
                "OTP_RESEND_COOLDOWN_SECONDS",
                raw.otp_resend_cooldown_seconds,
                0,
            )?,
            max_sends_per_hour: raw.otp_max_sends_per_hour,
            max_failures_per_hour: raw.otp_max_failures_per_hour,
            default_country_code,
            test_phones,
        })
    }
}

/// `+998900000001=123456,+998900000002=654321` until `2026-12-31` (or an RFC 3339 time).
fn parse_test_phones(
    list: &str,
    valid_until: Option<&str>,
    default_cc: Option<&str>,
    code_length: u32,
) -> Result<TestPhones, ConfigError> {
    let valid_until = valid_until
        .ok_or_else(|| invalid("TEST_PHONES_VALID_UNTIL", "is required with TEST_PHONES"))?
        .trim();
    let valid_until = chrono::DateTime::parse_from_rfc3339(valid_until)
        .map(|t| t.with_timezone(&chrono::Utc))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(valid_until, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc())
        })
        .map_err(|_| {
            invalid(
                "TEST_PHONES_VALID_UNTIL",
                "must be a date (2026-12-31) or RFC 3339 time",
            )
        })?;
    let mut codes = HashMap::new();
    for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (phone, code) = entry
            .split_once('=')
            .ok_or_else(|| invalid("TEST_PHONES", "entries must look like +998900000001=123456"))?;
        let phone = crate::domain::Phone::parse(phone, default_cc)
            .map_err(|_| invalid("TEST_PHONES", format!("has an invalid phone {phone:?}")))?;
        let code = code.trim();
        if code.len() != code_length as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(
                "TEST_PHONES",
                format!("codes must be {code_length} digits (OTP_LENGTH)"),
            ));
        }
        codes.insert(phone.as_str().to_string(), Secret::new(code));
    }
    Ok(TestPhones { codes, valid_until })
}
