//! The second channel: codes the bot cannot deliver (the phone never opened it, or blocked it)
//! go out through Telegram's Gateway API, from its "Verification Codes" account.
//!
//! Every send costs the shop money, so before a code leaves it passes the per-phone limits (it
//! was issued under them), the country list and the hourly budget of all replicas, and nothing
//! is sent while the account cannot pay. Verification stays otpgram's: the Gateway carries
//! otpgram's own code and only hears afterwards that it was typed in (for its conversion
//! figures), or that a message still on its way is no longer wanted.

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use tokio::time::Instant;

use crate::{
    config::GatewayConfig,
    crypto,
    domain::Phone,
    error::Result,
    meters,
    store::{GatewaySlot, RedisStore, Reported},
    tasks::Tasks,
    telegram::gateway::{CodeRequest, GatewayAnswer, GatewayClient, RequestStatus},
};

/// The Gateway's shortest and longest `ttl`.
const MIN_TTL: u64 = 30;
const MAX_TTL: u64 = 3600;

/// The first pause after a 5xx or a network error; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How often the log may say the hourly budget is spent.
const BUDGET_LOG_EVERY: i64 = 60;

/// The Gateway channel: one per process, cheap to clone.
#[derive(Clone)]
pub struct Gateway(Arc<Inner>);

struct Inner {
    client: GatewayClient,
    config: GatewayConfig,
    redis: RedisStore,
    tasks: Tasks,
    /// When the log last said the budget is spent (Unix seconds).
    budget_logged: AtomicI64,
}

impl Gateway {
    pub fn new(config: GatewayConfig, redis: RedisStore, tasks: Tasks) -> Self {
        Self(Arc::new(Inner {
            client: GatewayClient::new(config.url.clone(), config.token.clone()),
            config,
            redis,
            tasks,
            budget_logged: AtomicI64::new(i64::MIN),
        }))
    }

    pub fn client(&self) -> &GatewayClient {
        &self.0.client
    }

    /// Sends `code` (whose keyed hash is `code_hash`) to `phone` through the Gateway, and keeps
    /// at it while the code lives (until `expires`): after `FLOOD_WAIT_*` it waits as long as
    /// asked, after a 5xx or a network error it backs off. Whatever happens is counted and
    /// logged (masked); nothing reaches the customer's answer, which was given before.
    pub async fn deliver(&self, phone: &Phone, code: &str, code_hash: &str, expires: Instant) {
        let this = &self.0;
        if !this.config.allows(phone.as_str()) {
            meters::gateway_not_sent("country");
            tracing::debug!(phone = %phone, "not sent through the Gateway: country not listed");
            return;
        }
        // Whatever the Gateway still carries for this phone is an older code.
        self.retire(phone).await;
        match this
            .redis
            .gateway_slot(this.config.max_sends_per_hour)
            .await
        {
            Ok(GatewaySlot::Granted) => {}
            Ok(GatewaySlot::Paused) => {
                meters::gateway_not_sent("paused");
                return;
            }
            Ok(GatewaySlot::Spent) => {
                meters::gateway_not_sent("budget");
                self.log_budget_spent();
                return;
            }
            Err(err) => {
                tracing::warn!(error = %err, "could not take a Gateway send from the budget");
                return;
            }
        }
        meters::code_channel("gateway", "issued");
        let id = crypto::random_token(24);
        let stop = this.tasks.signal();
        let mut backoff = FIRST_BACKOFF;
        loop {
            let left = expires.saturating_duration_since(Instant::now());
            let request = CodeRequest {
                phone_number: phone.as_str(),
                code,
                ttl: left.as_secs().clamp(MIN_TTL, MAX_TTL),
                payload: &id,
                callback_url: this.config.callback_url.as_deref(),
            };
            let pause = match this.client.send_code(&request).await {
                GatewayAnswer::Done(status) => {
                    self.spent(&status);
                    self.record(phone, &id, &status.request_id, code_hash, "sent", left)
                        .await;
                    tracing::info!(phone = %phone, "login code sent through the Gateway");
                    return;
                }
                GatewayAnswer::Throttled(wait) => wait,
                GatewayAnswer::Transient(_) => {
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    pause
                }
                GatewayAnswer::PhoneUnreachable(reason) => {
                    self.given_up("phone_unreachable");
                    self.record(phone, &id, "", code_hash, "phone_unreachable", left)
                        .await;
                    tracing::info!(phone = %phone, reason, "the Gateway cannot reach this phone");
                    return;
                }
                GatewayAnswer::Halted(reason) => {
                    self.given_up("paused");
                    tracing::error!(
                        reason,
                        pause_seconds = this.config.pause.as_secs(),
                        "the Gateway refuses to send for this account: Gateway sends stop for a \
                         while (check TELEGRAM_GATEWAY_TOKEN and the balance)"
                    );
                    if let Err(err) = this.redis.pause_gateway(this.config.pause).await {
                        tracing::warn!(error = %err, "could not pause Gateway sends");
                    }
                    return;
                }
                GatewayAnswer::Refused(reason) => {
                    self.given_up("refused");
                    tracing::warn!(phone = %phone, reason, "the Gateway refused a login code");
                    return;
                }
            };
            if Instant::now() + pause >= expires {
                self.given_up("expired");
                tracing::warn!(phone = %phone, "the Gateway did not take a login code before it expired");
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = stop.cancelled() => {
                    tracing::warn!(phone = %phone, "shutting down: a Gateway send left unfinished");
                    return;
                }
            }
        }
    }

    /// The phone's code was replaced: a Gateway message still on its way with the old one is
    /// withdrawn (a stale code arriving later only confuses).
    pub async fn retire(&self, phone: &Phone) {
        match self.0.redis.take_gateway_message(phone).await {
            Ok(Some(message)) if message.undelivered() => {
                self.revoke(&message.id, &message.request_id).await
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "could not look up a Gateway message"),
        }
    }

    /// A code was typed in and matched (in the background): if the Gateway carried it, it
    /// hears so (`checkVerificationStatus`); if it carries an older one, that is withdrawn.
    pub fn verified(&self, phone: Phone, code: String, code_hash: String) {
        let this = self.clone();
        self.0.tasks.spawn(async move {
            let message = match this.0.redis.take_gateway_message(&phone).await {
                Ok(message) => message,
                Err(err) => {
                    tracing::warn!(error = %err, "could not look up a Gateway message");
                    return;
                }
            };
            match message {
                Some(message)
                    if crypto::constant_time_eq(
                        message.code_hash.as_bytes(),
                        code_hash.as_bytes(),
                    ) && !message.request_id.is_empty() =>
                {
                    meters::code_channel("gateway", "verified");
                    this.0
                        .client
                        .report_verified(&message.request_id, &code)
                        .await;
                }
                Some(message) => {
                    meters::code_channel("bot", "verified");
                    if message.undelivered() {
                        this.revoke(&message.id, &message.request_id).await;
                    }
                }
                None => meters::code_channel("bot", "verified"),
            }
        });
    }

    /// A delivery report (its signature already checked): the message's status moves on, and
    /// is counted once.
    pub async fn report(&self, report: &RequestStatus) -> Result<()> {
        let (Some(id), Some(delivery)) = (&report.payload, &report.delivery_status) else {
            return Ok(());
        };
        let Some(status) = known_status(&delivery.status) else {
            return Ok(());
        };
        let reported = self
            .0
            .redis
            .gateway_report(id, &report.request_id, status)
            .await?;
        if let Reported::News { previous } = reported {
            meters::gateway_report(status);
            let arrived = matches!(status, "delivered" | "read");
            if arrived && !matches!(previous.as_str(), "delivered" | "read") {
                meters::code_channel("gateway", "delivered");
            }
        }
        Ok(())
    }

    async fn revoke(&self, id: &str, request_id: &str) {
        if let GatewayAnswer::Done(_) = self.0.client.revoke(request_id).await
            && let Err(err) = self.0.redis.gateway_report(id, request_id, "revoked").await
        {
            tracing::warn!(error = %err, "could not record a withdrawn Gateway message");
        }
    }

    async fn record(
        &self,
        phone: &Phone,
        id: &str,
        request_id: &str,
        code_hash: &str,
        status: &str,
        left: Duration,
    ) {
        if let Err(err) = self
            .0
            .redis
            .record_gateway_message(phone, id, request_id, code_hash, status, left)
            .await
        {
            tracing::warn!(error = %err, "could not record a Gateway message");
        }
    }

    /// What a send cost, and the balance left (a warning under `GATEWAY_LOW_BALANCE`).
    fn spent(&self, status: &RequestStatus) {
        meters::gateway_spend(status.request_cost, status.remaining_balance);
        if let Some(balance) = status.remaining_balance
            && balance < self.0.config.low_balance
        {
            tracing::warn!(
                balance,
                low = self.0.config.low_balance,
                "the Gateway balance is low: top it up before codes stop"
            );
        }
    }

    fn given_up(&self, reason: &'static str) {
        meters::gateway_not_sent(reason);
        meters::code_channel("gateway", "given_up");
    }

    fn log_budget_spent(&self) {
        let now = chrono::Utc::now().timestamp();
        let last = self.0.budget_logged.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= BUDGET_LOG_EVERY
            && self
                .0
                .budget_logged
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                max = self.0.config.max_sends_per_hour,
                "GATEWAY_MAX_SENDS_PER_HOUR is spent: codes for phones the bot cannot reach are \
                 not sent until the next hour"
            );
        }
    }
}

/// A delivery status as a metric label (an unknown one is ignored).
fn known_status(status: &str) -> Option<&'static str> {
    ["sent", "delivered", "read", "expired", "revoked"]
        .into_iter()
        .find(|known| *known == status)
}
