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
    store::{Claimed, GatewayMessage, GatewaySlot, RedisStore, Reported},
    tasks::Tasks,
    telegram::gateway::{CodeRequest, GatewayAnswer, GatewayClient, RequestStatus},
};

/// The Gateway's shortest and longest `ttl`.
const MIN_TTL: u64 = 30;
const MAX_TTL: u64 = 3600;

/// The first pause after a 5xx or a network error; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The status of a message the Gateway never took.
const NOT_SENT: &str = "not_sent";

/// How often the log may say the hourly budget is spent.
const BUDGET_LOG_EVERY: i64 = 60;

/// The Gateway channel: one per process, cheap to clone.
#[derive(Clone)]
pub(crate) struct Gateway(Arc<Inner>);

struct Inner {
    client: GatewayClient,
    config: GatewayConfig,
    redis: RedisStore,
    tasks: Tasks,
    /// When the log last said the budget is spent (Unix seconds).
    budget_logged: AtomicI64,
}

impl Gateway {
    pub(crate) fn new(config: GatewayConfig, redis: RedisStore, tasks: Tasks) -> Self {
        Self(Arc::new(Inner {
            client: GatewayClient::new(config.url.clone(), config.token.clone()),
            config,
            redis,
            tasks,
            budget_logged: AtomicI64::new(i64::MIN),
        }))
    }

    pub(crate) fn client(&self) -> &GatewayClient {
        &self.0.client
    }

    /// Sends `code` (whose keyed hash is `code_hash`) to `phone` through the Gateway, and keeps
    /// at it while the code lives (until `expires`): after `FLOOD_WAIT_*` it waits as long as
    /// asked, after a 5xx or a network error it backs off. Whatever happens is counted and
    /// logged (masked); nothing reaches the customer's answer, which was given before.
    pub(crate) async fn deliver(
        &self,
        phone: &Phone,
        code: &str,
        code_hash: &str,
        expires: Instant,
    ) {
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
        // Recorded before the send, so a code typed in (or replaced) while the Gateway is still
        // answering is not missed: the mark it leaves is acted on below.
        let left = expires.saturating_duration_since(Instant::now());
        self.record(phone, &id, code_hash, left).await;
        let (request_id, status) = self.send(phone, code, &id, expires).await;
        let before = match this
            .redis
            .settle_gateway_message(&id, &request_id, status)
            .await
        {
            Ok(before) => before,
            Err(err) => {
                tracing::warn!(error = %err, "could not record a Gateway message");
                return;
            }
        };
        match before.as_str() {
            "verified" if !request_id.is_empty() => {
                this.client.report_verified(&request_id, code).await;
            }
            "retired" if !request_id.is_empty() => self.revoke(&id, &request_id).await,
            _ => {}
        }
    }

    /// Sends the code while it lives; answers the Gateway's request id (empty when nothing was
    /// sent) and the message's status.
    async fn send(
        &self,
        phone: &Phone,
        code: &str,
        id: &str,
        expires: Instant,
    ) -> (String, &'static str) {
        let this = &self.0;
        let mut backoff = FIRST_BACKOFF;
        loop {
            let left = expires.saturating_duration_since(Instant::now());
            let request = CodeRequest {
                phone_number: phone.as_str(),
                code,
                ttl: left.as_secs().clamp(MIN_TTL, MAX_TTL),
                payload: id,
                callback_url: this.config.callback_url.as_deref(),
            };
            let pause = match this.client.send_code(&request).await {
                GatewayAnswer::Done(status) => {
                    self.spent(&status);
                    tracing::info!(phone = %phone, "login code sent through the Gateway");
                    return (status.request_id, "sent");
                }
                GatewayAnswer::Throttled(wait) => wait,
                GatewayAnswer::Transient(reason) => {
                    tracing::debug!(phone = %phone, reason, "the Gateway did not answer; trying again");
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    pause
                }
                GatewayAnswer::PhoneUnreachable(reason) => {
                    self.given_up("phone_unreachable");
                    tracing::info!(phone = %phone, reason, "the Gateway cannot reach this phone");
                    return (String::new(), "phone_unreachable");
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
                    return (String::new(), NOT_SENT);
                }
                GatewayAnswer::Refused(reason) => {
                    self.given_up("refused");
                    tracing::warn!(phone = %phone, reason, "the Gateway refused a login code");
                    return (String::new(), NOT_SENT);
                }
            };
            if Instant::now() + pause >= expires {
                self.given_up("expired");
                tracing::warn!(phone = %phone, "the Gateway did not take a login code before it expired");
                return (String::new(), NOT_SENT);
            }
            // On a shutdown the job keeps trying through the grace period (see `tasks`).
            tokio::time::sleep(pause).await;
        }
    }

    /// The phone's code was replaced: a Gateway message still on its way with the old one is
    /// withdrawn (a stale code arriving later only confuses).
    pub(crate) async fn retire(&self, phone: &Phone) {
        let message = match self.0.redis.take_gateway_message(phone).await {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not look up a Gateway message");
                return;
            }
        };
        if let Some(message) = self.settled(message, "retired").await
            && message.undelivered()
        {
            self.revoke(&message.id, &message.request_id).await
        }
    }

    /// The message as its send ended, or `None` when the send is still under way (it is
    /// marked, and the sender acts on `mark`) or the record cannot be read.
    async fn settled(&self, message: GatewayMessage, mark: &str) -> Option<GatewayMessage> {
        if message.status != "sending" {
            return Some(message);
        }
        match self.0.redis.claim_gateway_message(&message.id, mark).await {
            Ok(Claimed::Marked) => None,
            Ok(Claimed::Settled { request_id, status }) => Some(GatewayMessage {
                request_id,
                status,
                ..message
            }),
            Err(err) => {
                tracing::warn!(error = %err, "could not mark a Gateway message");
                None
            }
        }
    }

    /// A code was typed in and matched (in the background): if the Gateway carried it, it
    /// hears so (`checkVerificationStatus`); if it carries an older one, that is withdrawn.
    pub(crate) fn verified(&self, phone: Phone, code: String, code_hash: String) {
        let this = self.clone();
        self.0.tasks.spawn_job("gateway verify report", async move {
            let message = match this.0.redis.take_gateway_message(&phone).await {
                Ok(message) => message,
                Err(err) => {
                    tracing::warn!(error = %err, "could not look up a Gateway message");
                    return;
                }
            };
            let Some(message) = message else {
                meters::code_channel("bot", "verified");
                return;
            };
            if crypto::constant_time_eq(message.code_hash.as_bytes(), code_hash.as_bytes()) {
                // The Gateway carried this code (or is still being asked to: the sender
                // reports it when the Gateway answers).
                match this.settled(message, "verified").await {
                    None => meters::code_channel("gateway", "verified"),
                    Some(message) if !message.request_id.is_empty() => {
                        meters::code_channel("gateway", "verified");
                        this.0
                            .client
                            .report_verified(&message.request_id, &code)
                            .await;
                    }
                    Some(_) => meters::code_channel("bot", "verified"),
                }
            } else {
                meters::code_channel("bot", "verified");
                if let Some(message) = this.settled(message, "retired").await
                    && message.undelivered()
                {
                    this.revoke(&message.id, &message.request_id).await;
                }
            }
        });
    }

    /// A delivery report (its signature already checked): the message's status moves on, and
    /// is counted once.
    pub(crate) async fn report(&self, report: &RequestStatus) -> Result<()> {
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

    async fn record(&self, phone: &Phone, id: &str, code_hash: &str, left: Duration) {
        if let Err(err) = self
            .0
            .redis
            .record_gateway_message(phone, id, "", code_hash, "sending", left)
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
