//! Metrics, in Prometheus's text format at `GET /metrics`. Every metric name is here; the rest
//! of the code calls these functions.

use std::{sync::OnceLock, time::Duration};

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder (installed once; every app in the process shares it).
pub(crate) fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("duration_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        10.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// The text `GET /metrics` answers.
pub(crate) fn render() -> String {
    handle().render()
}

/// Compacts histograms; called now and then by a background task.
pub(crate) fn upkeep() {
    handle().run_upkeep();
}

pub(crate) fn http_request(route: String, method: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("route", route),
        ("method", method.to_string()),
        ("status", status.to_string()),
    ];
    counter!("otpgram_http_requests_total", &labels).increment(1);
    histogram!("otpgram_http_request_duration_seconds", &labels).record(elapsed.as_secs_f64());
}

/// A code was issued: asked for on the site (`site`; linked phones and unlinked ones alike, so
/// the metric tells nobody which phones are customers), by its owner in Telegram (`telegram`),
/// for an older integration's bot (`returned`), or a review number armed its fixed code
/// (`review`).
pub(crate) fn code_issued(kind: &'static str) {
    counter!("otpgram_codes_issued_total", "kind" => kind).increment(1);
}

/// What became of a login code's message: `delivered`, `retried` (a try failed and another
/// follows) or `given_up` (refused for good, or the code died first).
pub(crate) fn code_message(outcome: &'static str) {
    counter!("otpgram_code_messages_total", "outcome" => outcome).increment(1);
}

/// A session opened: `method` = `code` (a code typed on the site) or `telegram` (one tap).
pub(crate) fn login(method: &'static str) {
    counter!("otpgram_logins_total", "method" => method).increment(1);
}

/// A one-tap login's steps: `started`, `opened`, `approved`, `denied`, `collected`, and
/// `refused` (a link expired, used or unknown).
pub(crate) fn telegram_login(step: &'static str) {
    counter!("otpgram_telegram_logins_total", "step" => step).increment(1);
}

/// OpenID Connect: `code_issued`, `code_refused` (wrong, expired or used), `tokens_issued`.
pub(crate) fn oidc(step: &'static str) {
    counter!("otpgram_oidc_total", "step" => step).increment(1);
}

pub(crate) fn code_verified() {
    counter!("otpgram_codes_verified_total").increment(1);
}

/// `invalid` (wrong, expired, used, malformed) or `too_many_attempts`.
pub(crate) fn code_rejected(reason: &'static str) {
    counter!("otpgram_codes_rejected_total", "reason" => reason).increment(1);
}

/// `cooldown`, `hourly_cap`, `minute_cap` or `locked` (per phone), `ip` (per address).
pub(crate) fn rate_limited(limit: &'static str) {
    counter!("otpgram_rate_limited_total", "limit" => limit).increment(1);
}

/// A call to the Bot API made outside the bot's own replies.
pub(crate) fn telegram_call(method: &'static str, outcome: &'static str) {
    counter!("otpgram_telegram_calls_total", "method" => method, "outcome" => outcome).increment(1);
}

/// `sent`, `retry`, `failed`, `inactive`, `migrated` or `unknown`.
pub(crate) fn delivery(outcome: &'static str) {
    counter!("otpgram_deliveries_total", "outcome" => outcome).increment(1);
}

/// Notifications taken by workers and not yet settled, and how old the oldest is.
pub(crate) fn queue(pending: u64, oldest: Duration) {
    gauge!("otpgram_notification_queue_pending").set(pending as f64);
    gauge!("otpgram_notification_queue_oldest_seconds").set(oldest.as_secs_f64());
}

/// A login code's journey per channel (`bot`, `gateway`): `issued` (a send began), `delivered`
/// (Telegram took the bot's message; the Gateway reported it delivered), `verified`, `given_up`
/// (refused for good, not sent, or the code died first).
pub(crate) fn code_channel(channel: &'static str, stage: &'static str) {
    counter!("otpgram_code_channel_total", "channel" => channel, "stage" => stage).increment(1);
}

/// A call to the Gateway API, by method and outcome.
pub(crate) fn gateway_call(method: &'static str, outcome: &'static str) {
    counter!("otpgram_gateway_calls_total", "method" => method, "outcome" => outcome).increment(1);
}

/// A code the Gateway would have carried and did not: `country` (not in
/// `GATEWAY_COUNTRY_CODES`), `budget` (the hourly budget is spent), `paused` (after
/// `BALANCE_NOT_ENOUGH` or `ACCESS_TOKEN_INVALID`), `phone_unreachable` (invalid or not on
/// Telegram), `refused`, `expired` (the code died while the Gateway throttled or failed).
pub(crate) fn gateway_not_sent(reason: &'static str) {
    counter!("otpgram_gateway_not_sent_total", "reason" => reason).increment(1);
}

/// What one accepted send cost (`request_cost`), and the balance after it.
pub(crate) fn gateway_spend(cost: Option<f64>, balance: Option<f64>) {
    if let Some(cost) = cost {
        counter!("otpgram_gateway_spend_microdollars_total").increment((cost * 1e6).round() as u64);
    }
    if let Some(balance) = balance {
        gauge!("otpgram_gateway_balance").set(balance);
    }
}

/// A delivery report from the Gateway, by status (`sent`, `delivered`, `read`, `expired`,
/// `revoked`).
pub(crate) fn gateway_report(status: &'static str) {
    counter!("otpgram_gateway_reports_total", "status" => status).increment(1);
}
