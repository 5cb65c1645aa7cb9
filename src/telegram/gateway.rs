//! The Telegram Gateway API's client: `sendVerificationMessage`, `checkVerificationStatus` and
//! `revokeVerificationMessage`, each answer read once ([`GatewayAnswer`]), and the check of the
//! signature on Telegram's delivery reports.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::{config::Secret, crypto::constant_time_eq, meters};

/// How long one call may take. The Gateway answers in well under a second; a call cut short
/// is tried again while the code lives (the message may then arrive twice, with the same code).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// How far a report's timestamp may be from now.
pub(crate) const REPORT_MAX_AGE: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub(crate) struct GatewayClient {
    http: reqwest::Client,
    base: Url,
    token: Secret,
    /// SHA-256 of the token: the key of the reports' signatures.
    report_key: [u8; 32],
}

/// A request's state as the Gateway tells it (its `RequestStatus`).
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct RequestStatus {
    pub request_id: String,
    #[serde(default)]
    pub request_cost: Option<f64>,
    #[serde(default)]
    pub remaining_balance: Option<f64>,
    #[serde(default)]
    pub delivery_status: Option<DeliveryStatus>,
    #[serde(default)]
    pub payload: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct DeliveryStatus {
    /// `sent`, `delivered`, `read`, `expired` or `revoked`.
    pub status: String,
}

/// The Gateway's answer to one call, read once.
#[derive(Debug)]
pub(crate) enum GatewayAnswer {
    /// Accepted.
    Done(RequestStatus),
    /// `FLOOD_WAIT_<seconds>`: try again after this long.
    Throttled(Duration),
    /// A 5xx, a timeout, a network error or a garbled answer: worth trying again.
    Transient(String),
    /// The number is invalid or not on Telegram: never worth trying again.
    PhoneUnreachable(String),
    /// The account cannot send at all (`BALANCE_NOT_ENOUGH`, `ACCESS_TOKEN_INVALID`): stop for
    /// a while.
    Halted(String),
    /// Refused for another reason: not tried again.
    Refused(String),
}

impl GatewayAnswer {
    /// The `outcome` label of `otpgram_gateway_calls_total`.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            GatewayAnswer::Done(_) => "ok",
            GatewayAnswer::Throttled(_) => "throttled",
            GatewayAnswer::Transient(_) => "error",
            GatewayAnswer::PhoneUnreachable(_) => "phone_unreachable",
            GatewayAnswer::Halted(_) => "halted",
            GatewayAnswer::Refused(_) => "refused",
        }
    }

    /// Reads an error the Gateway named (`{"ok": false, "error": "..."}`).
    fn named(error: String, status: u16) -> Self {
        if let Some(wait) = error.strip_prefix("FLOOD_WAIT_") {
            let wait = wait.parse().unwrap_or(1);
            return GatewayAnswer::Throttled(Duration::from_secs(wait));
        }
        if error.starts_with("PHONE_NUMBER_") || error == "PHONE_INVALID" {
            return GatewayAnswer::PhoneUnreachable(error);
        }
        if error == "BALANCE_NOT_ENOUGH" || error.starts_with("ACCESS_TOKEN_") {
            return GatewayAnswer::Halted(error);
        }
        if status >= 500 {
            return GatewayAnswer::Transient(error);
        }
        GatewayAnswer::Refused(error)
    }
}

/// A code message to send (`sendVerificationMessage`).
#[derive(Serialize)]
pub(crate) struct CodeRequest<'a> {
    pub phone_number: &'a str,
    pub code: &'a str,
    pub ttl: u64,
    pub payload: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_url: Option<&'a str>,
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<String>,
}

impl GatewayClient {
    pub(crate) fn new(mut base: Url, token: Secret) -> Self {
        // Methods are joined onto the base: `…/sandbox/gateway` must keep its last segment.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let report_key = Sha256::digest(token.expose().as_bytes()).into();
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self {
            http,
            base,
            token,
            report_key,
        }
    }

    /// Sends otpgram's code to a phone, from Telegram's "Verification Codes" account.
    pub(crate) async fn send_code(&self, request: &CodeRequest<'_>) -> GatewayAnswer {
        self.call("sendVerificationMessage", request).await
    }

    /// Tells the Gateway the code it carried was typed in (for its conversion figures).
    pub(crate) async fn report_verified(&self, request_id: &str, code: &str) -> GatewayAnswer {
        #[derive(Serialize)]
        struct Check<'a> {
            request_id: &'a str,
            code: &'a str,
        }
        self.call("checkVerificationStatus", &Check { request_id, code })
            .await
    }

    /// Withdraws a message not delivered yet (the code was replaced or used another way).
    pub(crate) async fn revoke(&self, request_id: &str) -> GatewayAnswer {
        #[derive(Serialize)]
        struct Revoke<'a> {
            request_id: &'a str,
        }
        self.call("revokeVerificationMessage", &Revoke { request_id })
            .await
    }

    async fn call(&self, method: &'static str, body: &impl Serialize) -> GatewayAnswer {
        let answer = self.try_call(method, body).await;
        meters::gateway_call(method, answer.label());
        answer
    }

    async fn try_call(&self, method: &str, body: &impl Serialize) -> GatewayAnswer {
        let Ok(url) = self.base.join(method) else {
            return GatewayAnswer::Refused(format!("no URL for {method}"));
        };
        let sent = self
            .http
            .post(url)
            .bearer_auth(self.token.expose())
            .json(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            // The error names the URL, never the token (it travels in a header).
            Err(err) => return GatewayAnswer::Transient(err.without_url().to_string()),
        };
        let status = response.status().as_u16();
        let envelope = match response.json::<Envelope>().await {
            Ok(envelope) => envelope,
            Err(_) if status >= 500 || status == 429 => {
                return GatewayAnswer::Transient(format!("HTTP {status}"));
            }
            Err(_) => return GatewayAnswer::Refused(format!("HTTP {status}, not JSON")),
        };
        if !envelope.ok {
            let error = envelope.error.unwrap_or_else(|| format!("HTTP {status}"));
            return GatewayAnswer::named(error, status);
        }
        // `revokeVerificationMessage` answers `true`, the others a `RequestStatus`.
        match envelope.result {
            Some(serde_json::Value::Bool(_)) | None => GatewayAnswer::Done(RequestStatus {
                request_id: String::new(),
                request_cost: None,
                remaining_balance: None,
                delivery_status: None,
                payload: None,
            }),
            Some(result) => match serde_json::from_value(result) {
                Ok(status) => GatewayAnswer::Done(status),
                Err(err) => GatewayAnswer::Transient(format!("a garbled answer: {err}")),
            },
        }
    }

    /// Whether a delivery report is Telegram's: `signature` is the hex HMAC-SHA256, keyed with
    /// SHA-256 of the token, of `timestamp` "\n" `body`, and `timestamp` (Unix seconds) is within
    /// [`REPORT_MAX_AGE`] of `now`.
    pub(crate) fn report_is_signed(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
        now: i64,
    ) -> bool {
        let Ok(at) = timestamp.parse::<i64>() else {
            return false;
        };
        if at.abs_diff(now) > REPORT_MAX_AGE.as_secs() {
            return false;
        }
        let Ok(presented) = hex::decode(signature) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.report_key).expect("HMAC takes any key length");
        mac.update(timestamp.as_bytes());
        mac.update(b"\n");
        mac.update(body);
        constant_time_eq(&mac.finalize().into_bytes(), &presented)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_errors_are_read_once() {
        let read = |e: &str, status| GatewayAnswer::named(e.into(), status).label();
        assert_eq!(read("FLOOD_WAIT_3", 400), "throttled");
        assert_eq!(read("PHONE_NUMBER_INVALID", 400), "phone_unreachable");
        assert_eq!(read("BALANCE_NOT_ENOUGH", 400), "halted");
        assert_eq!(read("ACCESS_TOKEN_INVALID", 401), "halted");
        assert_eq!(read("INTERNAL", 500), "error");
        assert_eq!(read("CODE_INVALID", 400), "refused");
        assert!(matches!(
            GatewayAnswer::named("FLOOD_WAIT_7".into(), 400),
            GatewayAnswer::Throttled(wait) if wait == Duration::from_secs(7)
        ));
    }

    #[test]
    fn a_report_is_checked_against_the_token() {
        let client = GatewayClient::new("http://127.0.0.1:1/".parse().unwrap(), Secret::new("t"));
        let key = Sha256::digest(b"t");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"1000\n{}");
        let good = hex::encode(mac.finalize().into_bytes());
        assert!(client.report_is_signed("1000", &good, b"{}", 1100));
        assert!(!client.report_is_signed("1000", &good, b"{ }", 1100));
        assert!(!client.report_is_signed("1000", &good, b"{}", 1000 + 301));
        assert!(!client.report_is_signed("1001", &good, b"{}", 1100));
        assert!(!client.report_is_signed("1000", "zz", b"{}", 1100));
    }
}
