//! The notification worker: takes queue entries, sends each due delivery within Telegram's
//! limits, records what Telegram answered, and acknowledges an entry once every delivery of its
//! notification is settled (sent, failed or inactive).
//!
//! Exactly once per chat: a delivery is claimed in the database (with a lease) right before its
//! message is sent and marked sent right after Telegram confirms; a second worker cannot claim
//! it meanwhile. Never lost: an entry stays pending until settled, a dead worker's entries are
//! reclaimed, and a sweep re-enqueues notifications the database still has work for (at startup,
//! after Redis lost data, and when an enqueue failed).
//!
//! Small while waiting: a burst of orders leaves thousands of notifications waiting for their
//! chats' turns, and a future takes the memory of its largest step all along. The large, short
//! steps — database queries, Redis commands, the Telegram request — are therefore boxed, made
//! only when they run: a waiting notification's task is ~900 B and each waiting delivery ~400 B
//! (5.7 KiB and 9.8 KiB before; `scripts/bench notify` peak RSS 80.8 → 41 MiB).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use teloxide::{
    ApiError, Bot, RequestError,
    payloads::SendMessageSetters,
    prelude::Requester,
    types::{ChatId, LinkPreviewOptions, ParseMode},
};
use tokio::{sync::watch, task::JoinHandle, time::Instant};
use uuid::Uuid;

use super::{
    deliveries::{self, FAILED, INACTIVE, QUEUED, RETRYING, SENDING, SENT},
    message,
    order::Order,
};
use crate::{
    crypto::random_token,
    error::Result,
    outcome::{chat_is_gone, is_transient},
    pacer::Pacer,
    state::AppState,
    store::{Entry, Queue},
    texts::Lang,
};

/// How often the sweep looks for work nobody picked up.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

pub struct WorkerTask {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl WorkerTask {
    /// Stops taking new work. Sends in flight finish or are picked up again by their lease.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
    }
}

pub fn start(state: AppState, bot: Bot) -> WorkerTask {
    let (stop, stopped) = watch::channel(false);
    let handle = tokio::spawn(run(state, bot, stopped));
    WorkerTask { stop, handle }
}

struct Worker {
    state: AppState,
    bot: Bot,
    /// The process's pacer, shared with login codes and the bot's answers.
    pacer: Arc<Pacer>,
    queue: Queue,
    /// Notifications this process works on, with the queue entry it holds for each.
    in_flight: Mutex<HashMap<Uuid, String>>,
}

/// What Telegram's answer means for a delivery.
enum Verdict {
    Sent(i64),
    Retry(DateTime<Utc>, String),
    Migrated(i64),
    Inactive(String),
    Failed(String),
}

impl Verdict {
    /// The `outcome` label of `otpgram_deliveries_total`.
    fn outcome(&self) -> &'static str {
        match self {
            Verdict::Sent(_) => "sent",
            Verdict::Retry(..) => "retry",
            Verdict::Migrated(_) => "migrated",
            Verdict::Inactive(_) => "inactive",
            Verdict::Failed(_) => "failed",
        }
    }
}

enum Progress {
    Done,
    Again,
    WaitUntil(DateTime<Utc>),
}

async fn run(state: AppState, bot: Bot, mut stopped: watch::Receiver<bool>) {
    let consumer = format!("worker-{}", random_token(10));
    let queue = loop {
        match state.store.queue_consumer(consumer.clone()).await {
            Ok(queue) => break queue,
            Err(err) => {
                tracing::warn!(error = %err, "notification worker cannot reach Redis; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stopped.changed() => return,
                }
            }
        }
    };
    let worker = Arc::new(Worker {
        pacer: state.pacer.clone(),
        state,
        bot,
        queue,
        in_flight: Mutex::default(),
    });
    tracing::info!(consumer, "notification worker started");
    let idle_ms = worker.state.config.notify.reclaim_idle.as_millis() as u64;
    let mut next_sweep = Instant::now();
    let mut next_gauge = Instant::now();
    let mut startup = true;
    loop {
        if *stopped.borrow() {
            break;
        }
        if Instant::now() >= next_gauge {
            if let Ok((pending, oldest)) = worker.queue.pending().await {
                crate::meters::queue(pending, oldest);
            }
            next_gauge = Instant::now() + Duration::from_secs(5);
        }
        if Instant::now() >= next_sweep {
            worker.sweep(startup).await;
            startup = false;
            next_sweep = Instant::now() + SWEEP_EVERY;
        }
        let entries = match worker.queue.reclaim(idle_ms, 64).await {
            Ok(reclaimed) if !reclaimed.is_empty() => Ok(reclaimed),
            Ok(_) => tokio::select! {
                read = worker.queue.read_new(256, 1000) => read,
                _ = stopped.changed() => break,
            },
            Err(err) => Err(err),
        };
        match entries {
            Ok(entries) => {
                for entry in entries {
                    worker.clone().dispatch(entry);
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "notification queue unavailable");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stopped.changed() => break,
                }
            }
        }
    }
    worker.queue.quit().await;
}

impl Worker {
    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, String>> {
        self.in_flight.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn dispatch(self: Arc<Self>, entry: Entry) {
        let Some(id) = entry.notification else {
            tokio::spawn(async move { self.ack(&entry.id).await });
            return;
        };
        let duplicate = {
            let mut in_flight = self.in_flight();
            match in_flight.get(&id) {
                // Our own entry, reclaimed because it waited long: already being worked on.
                Some(held) if *held == entry.id => return,
                Some(_) => true,
                None => {
                    in_flight.insert(id, entry.id.clone());
                    false
                }
            }
        };
        tokio::spawn(async move {
            if duplicate {
                // Another entry for a notification in hand (a re-enqueue): the first one covers it.
                self.ack(&entry.id).await;
                return;
            }
            self.process(id, &entry.id).await;
            self.in_flight().remove(&id);
        });
    }

    async fn ack(&self, entry: &str) {
        // Boxed, as are the other large steps (see the module's doc): this one is 5 KiB.
        if let Err(err) = Box::pin(self.queue.ack(entry)).await {
            tracing::warn!(error = %err, "could not acknowledge a queue entry");
        }
    }

    async fn process(&self, id: Uuid, entry: &str) {
        loop {
            match self.work_once(id).await {
                Ok(Progress::Done) => {
                    self.ack(entry).await;
                    return;
                }
                Ok(Progress::Again) => {}
                Ok(Progress::WaitUntil(at)) => self.wait_holding(entry, at).await,
                Err(err) => {
                    tracing::warn!(notification = %id, error = %err, "delivery round failed; retrying");
                    self.wait_holding(entry, Utc::now() + chrono::Duration::seconds(1))
                        .await;
                }
            }
        }
    }

    /// Sleeps until `at`, touching the queue entry so no other worker takes it meanwhile.
    async fn wait_holding(&self, entry: &str, at: DateTime<Utc>) {
        let step = self.state.config.notify.reclaim_idle / 3;
        loop {
            let left = (at - Utc::now()).to_std().unwrap_or_default();
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.min(step)).await;
            if let Err(err) = Box::pin(self.queue.touch(entry)).await {
                tracing::debug!(error = %err, "could not touch a queue entry");
            }
        }
    }

    /// Sends every due delivery of one notification once; says what to do next.
    async fn work_once(&self, id: Uuid) -> Result<Progress> {
        let db = &self.state.db;
        let Some(job) = Box::pin(deliveries::load(db, id)).await? else {
            return Ok(Progress::Done);
        };
        let order = match serde_json::from_str::<Order>(&job.notification.payload) {
            Ok(order) => Some(order),
            Err(err) => {
                tracing::error!(notification = %id, error = %err, "stored order does not parse");
                None
            }
        };
        // One text per language among the chats, rendered once each.
        let fallback = self.state.config.default_language;
        let mut rendered: HashMap<Lang, String> = HashMap::new();
        let mut text_for = |chat: i64| -> String {
            let lang = Lang::from_code(job.chat_languages.get(&chat).map(String::as_str), fallback);
            rendered
                .entry(lang)
                .or_insert_with(|| {
                    order
                        .as_ref()
                        .map(|order| message::render(&job.shop_name, order, lang))
                        .unwrap_or_default()
                })
                .clone()
        };
        let now = Utc::now();
        let mut wake: Option<DateTime<Utc>> = None;
        let mut due = Vec::new();
        for d in &job.deliveries {
            let later = match d.status.as_str() {
                SENT | FAILED | INACTIVE => continue,
                SENDING => d.lease_until.filter(|t| *t > now),
                QUEUED | RETRYING => d.next_attempt_at.filter(|t| *t > now),
                _ => None,
            };
            match later {
                Some(t) => wake = Some(wake.map_or(t, |w| w.min(t))),
                None => due.push((d.chat_id, d.attempts)),
            }
        }
        if due.is_empty() {
            return Ok(wake.map_or(Progress::Done, Progress::WaitUntil));
        }
        let created = job.notification.created_at;
        let texts: Vec<(i64, i32, String)> = due
            .into_iter()
            .map(|(chat, attempts)| (chat, attempts, text_for(chat)))
            .collect();
        join_all(
            texts
                .iter()
                .map(|(chat, attempts, text)| self.deliver(id, *chat, attempts + 1, text, created)),
        )
        .await;
        Ok(Progress::Again)
    }

    /// Claims, sends and records one delivery.
    async fn deliver(&self, id: Uuid, chat: i64, attempt: i32, text: &str, created: DateTime<Utc>) {
        let db = &self.state.db;
        let policy = &self.state.config.notify;
        let mut turn = self.pacer.turn(chat).await;
        // Claimed only now, in the chat's turn: the lease covers the call to Telegram, not the
        // wait for the turn.
        match Box::pin(deliveries::claim(db, id, chat, policy.send_lease)).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not claim a delivery");
                return;
            }
        }
        let sent = if text.is_empty() {
            Err(RequestError::Api(ApiError::Unknown(
                "unreadable order".into(),
            )))
        } else {
            let sent = turn
                .send(|| async {
                    self.bot
                        .send_message(ChatId(chat), text)
                        .parse_mode(ParseMode::Html)
                        .link_preview_options(no_preview())
                        .await
                        // Only the id is kept: a whole `Message` is kilobytes.
                        .map(|message| message.id.0)
                })
                .await;
            if let Err(RequestError::RetryAfter(wait)) = &sent {
                turn.hold(wait.duration());
            }
            sent
        };
        // The chat's turn ends here, before the answer is written down.
        drop(turn);
        let outcome = match &sent {
            Ok(_) => "ok",
            Err(RequestError::RetryAfter(_)) => "throttled",
            Err(RequestError::Api(_)) | Err(RequestError::MigrateToChatId(_)) => "refused",
            Err(_) => "error",
        };
        crate::meters::telegram_call("sendMessage", outcome);
        let verdict = match sent {
            Ok(message_id) => Verdict::Sent(i64::from(message_id)),
            Err(RequestError::RetryAfter(wait)) => {
                let wait = wait.duration();
                let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
                Verdict::Retry(at, format!("429: retry after {}s", wait.as_secs()))
            }
            Err(RequestError::MigrateToChatId(new)) => {
                tracing::info!(old = chat, new = new.0, "group migrated to a supergroup");
                Verdict::Migrated(new.0)
            }
            Err(RequestError::Api(err)) if chat_is_gone(&err) => {
                tracing::info!(chat, error = %err, "chat refuses the bot; marking it inactive");
                Verdict::Inactive(err.to_string())
            }
            Err(err) if is_transient(&err) => {
                let at = Utc::now() + backoff(attempt);
                let deadline =
                    created + chrono::Duration::from_std(policy.max_retry).unwrap_or_default();
                if at > deadline {
                    Verdict::Failed(format!("gave up after {attempt} attempts: {err}"))
                } else {
                    Verdict::Retry(at, err.to_string())
                }
            }
            Err(err) => Verdict::Failed(err.to_string()),
        };
        Box::pin(self.record(id, chat, verdict)).await;
    }

    /// Writes down what Telegram answered. It must not fail for a passing reason, or the lease
    /// runs out and a sent message is sent again: a few tries, then give up (logged).
    async fn record(&self, id: Uuid, chat: i64, verdict: Verdict) {
        let db = &self.state.db;
        for attempt in 1..=5 {
            let recorded = match &verdict {
                Verdict::Sent(message_id) => deliveries::mark_sent(db, id, chat, *message_id).await,
                Verdict::Retry(at, error) => {
                    deliveries::mark_retry(db, id, chat, *at, error.clone()).await
                }
                Verdict::Migrated(new) => deliveries::migrate_chat(db, id, chat, *new).await,
                Verdict::Inactive(error) => {
                    deliveries::mark_inactive(db, id, chat, error.clone()).await
                }
                Verdict::Failed(error) => {
                    deliveries::mark_failed(db, id, chat, error.clone()).await
                }
            };
            match recorded {
                Ok(()) => {
                    crate::meters::delivery(verdict.outcome());
                    return;
                }
                Err(err) if attempt < 5 => {
                    tracing::warn!(notification = %id, chat, error = %err, "recording a delivery failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
                Err(err) => {
                    tracing::error!(notification = %id, chat, error = %err, "could not record a delivery");
                }
            }
        }
    }

    /// Re-enqueues notifications the database has work for: all of them at startup, later only
    /// those whose due work nobody picked up.
    async fn sweep(&self, startup: bool) {
        let overdue_by = (!startup)
            .then(|| (self.state.config.notify.reclaim_idle * 2).max(Duration::from_secs(60)));
        let ids = match deliveries::unfinished(&self.state.db, overdue_by).await {
            Ok(ids) => ids,
            Err(err) => {
                tracing::warn!(error = %err, "sweep could not read the database");
                return;
            }
        };
        let ids: Vec<Uuid> = {
            let in_flight = self.in_flight();
            ids.into_iter()
                .filter(|id| !in_flight.contains_key(id))
                .collect()
        };
        if !ids.is_empty() {
            tracing::info!(
                count = ids.len(),
                startup,
                "re-enqueuing unfinished notifications"
            );
        }
        for id in ids {
            if let Err(err) = self.state.store.enqueue_notification(id).await {
                tracing::warn!(error = %err, "sweep could not enqueue");
                return;
            }
        }
    }
}

fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// 1 s, 2 s, 4 s … up to 5 minutes, with ±20 % jitter so retries of many chats spread out.
fn backoff(attempt: i32) -> chrono::Duration {
    let base = 2f64.powi(attempt.clamp(1, 20) - 1).min(300.0);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    chrono::Duration::milliseconds((base * jitter * 1000.0) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= chrono::Duration::milliseconds(1200));
        assert!(backoff(4) >= chrono::Duration::milliseconds(6400));
        assert!(backoff(30) <= chrono::Duration::seconds(360));
    }
}
