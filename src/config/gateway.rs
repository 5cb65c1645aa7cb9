//! `gateway`: Telegram's Gateway API, the second channel for codes (phones that never opened the
//! bot, or blocked it), and what it may spend.

use std::time::Duration;

use url::Url;

use super::{ConfigError, Secret, env::Raw, invalid, seconds};

pub(crate) const DEFAULT_GATEWAY_URL: &str = "https://gatewayapi.telegram.org";

/// The path Telegram posts delivery reports to (`callback_url`).
pub(crate) const REPORTS_PATH: &str = "/telegram/gateway/reports";

/// The Gateway channel, on when `TELEGRAM_GATEWAY_TOKEN` is set.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub token: Secret,
    /// `TELEGRAM_GATEWAY_URL`: Telegram's by default; a fake one in tests.
    pub url: Url,
    /// `GATEWAY_COUNTRY_CODES`: the calling codes whose numbers may be sent to (digits, no `+`);
    /// `DEFAULT_COUNTRY_CODE` alone when unset. Every other number is never sent.
    pub country_codes: Vec<String>,
    /// `GATEWAY_MAX_SENDS_PER_HOUR`: all replicas together, per clock hour.
    pub max_sends_per_hour: u32,
    /// `GATEWAY_LOW_BALANCE`: a balance below this is logged as a warning.
    pub low_balance: f64,
    /// `GATEWAY_PAUSE_SECONDS`: how long sends stop after `BALANCE_NOT_ENOUGH` or
    /// `ACCESS_TOKEN_INVALID` (all replicas).
    pub pause: Duration,
    /// Where Telegram posts delivery reports: `GATEWAY_CALLBACK_URL`, or `OIDC_ISSUER` +
    /// [`REPORTS_PATH`]; none when the service does not know its public URL.
    pub callback_url: Option<String>,
}

impl GatewayConfig {
    pub(super) fn from_raw(raw: &Raw) -> Result<Option<Self>, ConfigError> {
        let Some(token) = raw.telegram_gateway_token.clone().filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let url = raw
            .telegram_gateway_url
            .as_deref()
            .unwrap_or(DEFAULT_GATEWAY_URL)
            .parse::<Url>()
            .map_err(|e| invalid("TELEGRAM_GATEWAY_URL", format!("is not a URL: {e}")))?;
        let listed = raw
            .gateway_country_codes
            .as_deref()
            .or(raw.default_country_code.as_deref())
            .unwrap_or_default();
        let country_codes = listed
            .split(',')
            .map(|cc| cc.trim().trim_start_matches('+'))
            .filter(|cc| !cc.is_empty())
            .map(|cc| {
                if cc.len() > 3 || !cc.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(invalid(
                        "GATEWAY_COUNTRY_CODES",
                        "must be calling codes of 1 to 3 digits, e.g. 998,7",
                    ));
                }
                Ok(cc.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        if country_codes.is_empty() {
            return Err(invalid(
                "GATEWAY_COUNTRY_CODES",
                "is required with TELEGRAM_GATEWAY_TOKEN (or DEFAULT_COUNTRY_CODE): every send \
                 costs money, so the countries it may go to are listed",
            ));
        }
        if raw.gateway_max_sends_per_hour == 0 {
            return Err(invalid("GATEWAY_MAX_SENDS_PER_HOUR", "must be at least 1"));
        }
        if raw.gateway_low_balance.is_nan() || raw.gateway_low_balance < 0.0 {
            return Err(invalid("GATEWAY_LOW_BALANCE", "must be 0 or more"));
        }
        let callback_url = match raw.gateway_callback_url.as_deref() {
            Some(url) => Some(
                url.parse::<Url>()
                    .map_err(|e| invalid("GATEWAY_CALLBACK_URL", format!("is not a URL: {e}")))?
                    .to_string(),
            ),
            None => raw
                .oidc_issuer
                .as_deref()
                .map(str::trim)
                .filter(|issuer| !issuer.is_empty())
                .map(|issuer| format!("{}{REPORTS_PATH}", issuer.trim_end_matches('/'))),
        };
        Ok(Some(Self {
            token: Secret::new(token),
            url,
            country_codes,
            max_sends_per_hour: raw.gateway_max_sends_per_hour,
            low_balance: raw.gateway_low_balance,
            pause: seconds("GATEWAY_PAUSE_SECONDS", raw.gateway_pause_seconds, 1)?,
            callback_url,
        }))
    }

    /// Whether codes for `phone` (E.164) may be sent through the Gateway.
    pub fn allows(&self, phone: &str) -> bool {
        let digits = phone.trim_start_matches('+');
        self.country_codes.iter().any(|cc| digits.starts_with(cc))
    }
}
