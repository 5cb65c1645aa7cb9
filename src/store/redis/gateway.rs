//! The Gateway channel's state in Redis: its hourly budget and pause (shared by replicas), and
//! each message it carries (by otpgram's own id, the `payload` Telegram reports back), with the
//! phone's current one.

use std::time::Duration;

use fred::{
    prelude::{HashesInterface, KeysInterface},
    types::Expiration,
};

use super::{RedisStore, secs, unexpected};
use crate::{domain::Phone, error::Result};

/// How long a message's record stays for Telegram's reports (they come within the code's
/// lifetime, at most an hour; a day leaves room for retries).
const MESSAGE_RECORD_TTL: Duration = Duration::from_secs(86_400);

/// Whether the Gateway may carry one more code now.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum GatewaySlot {
    Granted,
    /// Sends are stopped for a while (the account cannot pay, or its token is wrong).
    Paused,
    /// This hour's budget is used up.
    Spent,
}

/// A message the Gateway carries for a phone's current code.
#[derive(Debug)]
pub(crate) struct GatewayMessage {
    /// otpgram's id for it (its payload).
    pub id: String,
    /// The Gateway's id for it (empty when the Gateway refused it).
    pub request_id: String,
    /// The keyed hash of the code it carries.
    pub code_hash: String,
    /// The last delivery status: `sent`, `delivered`, `read`, `expired` or `revoked`.
    pub status: String,
}

impl GatewayMessage {
    /// Still on its way: withdrawing it stops a stale code from arriving.
    pub(crate) fn undelivered(&self) -> bool {
        self.status == "sent"
    }
}

/// What became of a message whose code was typed in or replaced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Claimed {
    /// Its send is still under way: the sender acts on the mark when the Gateway answers.
    Marked,
    /// Its send ended: with this request id (empty when nothing was sent) and status.
    Settled { request_id: String, status: String },
}

/// What a delivery report changed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reported {
    /// otpgram knows no such message (or it is long gone).
    Unknown,
    /// The status moved on from `previous`.
    News { previous: String },
    /// Nothing new (a repeated or late report).
    Seen,
}

impl RedisStore {
    /// Takes one send from this hour's budget (`max_per_hour`), unless sends are paused.
    pub(crate) async fn gateway_slot(&self, max_per_hour: u32) -> Result<GatewaySlot> {
        let hour = chrono::Utc::now().timestamp() / 3600;
        let answer: String = self
            .scripts
            .gateway_slot
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.gateway_paused(), self.keys.gateway_sends(hour)],
                vec![max_per_hour.to_string()],
            )
            .await?;
        match answer.as_str() {
            "ok" => Ok(GatewaySlot::Granted),
            "paused" => Ok(GatewaySlot::Paused),
            "spent" => Ok(GatewaySlot::Spent),
            _ => Err(unexpected("gateway_slot", answer)),
        }
    }

    /// Stops Gateway sends on every replica for `pause`.
    pub(crate) async fn pause_gateway(&self, pause: Duration) -> Result<()> {
        self.set_expiring(self.keys.gateway_paused(), "1".into(), pause)
            .await
    }

    /// Remembers a message for the phone's current code (`id` is its payload), for as long as
    /// the code lives: `sent` when the Gateway took it, `phone_unreachable` when it refused the
    /// number.
    pub(crate) async fn record_gateway_message(
        &self,
        phone: &Phone,
        id: &str,
        request_id: &str,
        code_hash: &str,
        status: &str,
        code_ttl: Duration,
    ) -> Result<()> {
        let record = self.keys.gateway_message(id);
        let client = self.pool.next();
        client
            .hset::<(), _, _>(
                &record,
                [("r", request_id), ("h", code_hash), ("s", status)],
            )
            .await?;
        client
            .expire::<(), _>(&record, secs(MESSAGE_RECORD_TTL), None)
            .await?;
        client
            .set::<(), _, _>(
                self.keys.gateway_current(phone),
                id,
                Some(Expiration::EX(secs(code_ttl).max(1))),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// Takes the phone's current Gateway message away (its code was replaced or used).
    pub(crate) async fn take_gateway_message(
        &self,
        phone: &Phone,
    ) -> Result<Option<GatewayMessage>> {
        let client = self.pool.next();
        let id: Option<String> = client.getdel(self.keys.gateway_current(phone)).await?;
        let Some(id) = id else {
            return Ok(None);
        };
        let (request_id, code_hash, status): (Option<String>, Option<String>, Option<String>) =
            client
                .hmget(self.keys.gateway_message(&id), vec!["r", "h", "s"])
                .await?;
        Ok(match (request_id, code_hash) {
            (Some(request_id), Some(code_hash)) => Some(GatewayMessage {
                id,
                request_id,
                code_hash,
                status: status.unwrap_or_default(),
            }),
            _ => None,
        })
    }

    /// Records a delivery report for the message `id` (the payload), if it is the request
    /// `request_id` otpgram made.
    pub(crate) async fn gateway_report(
        &self,
        id: &str,
        request_id: &str,
        status: &str,
    ) -> Result<Reported> {
        let answer: Vec<String> = self
            .scripts
            .gateway_report
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.gateway_message(id)],
                vec![request_id.to_string(), status.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [status] if status == "unknown" => Ok(Reported::Unknown),
            [status] if status == "seen" => Ok(Reported::Seen),
            [status, previous] if status == "news" => Ok(Reported::News {
                previous: previous.clone(),
            }),
            _ => Err(unexpected("gateway_report", answer)),
        }
    }

    /// The Gateway answered the send of message `id`: its request id (empty when it sent
    /// nothing) and `status` are recorded, unless the message was marked meanwhile. Returns the
    /// status before: `sending` (nobody touched it), `verified`, `retired`, or empty (gone).
    pub(crate) async fn settle_gateway_message(
        &self,
        id: &str,
        request_id: &str,
        status: &str,
    ) -> Result<String> {
        Ok(self
            .scripts
            .gateway_settle
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.gateway_message(id)],
                vec![request_id.to_string(), status.to_string()],
            )
            .await?)
    }

    /// Marks message `id` (`verified` or `retired`) if its send is still under way, or says how
    /// the send ended.
    pub(crate) async fn claim_gateway_message(&self, id: &str, mark: &str) -> Result<Claimed> {
        let answer: Vec<String> = self
            .scripts
            .gateway_claim
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.gateway_message(id)],
                vec![mark.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [claimed] if claimed == "claimed" => Ok(Claimed::Marked),
            [settled, request_id, status] if settled == "settled" => Ok(Claimed::Settled {
                request_id: request_id.clone(),
                status: status.clone(),
            }),
            _ => Err(unexpected("gateway_claim", answer)),
        }
    }
}
