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
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Notifications, message, order::Order, verdict::Verdict};
use crate::{
    crypto::random_token,
    domain::{ChatId, Lang},
    error::Result,
    store::{
        redis::{Entry, Queue},
        sql::deliveries::{self, DeliveryStatus},
    },
    tasks::Tasks,
    telegram::outcome::Answer,
    telegram::pacer::Pacer,
};

/// How often the sweep looks for work nobody picked up.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

struct Worker {
    notes: Notifications,
    /// The process's pacer, shared with login codes and the bot's answers.
    pacer: Arc<Pacer>,
    queue: Queue,
    /// Notifications this process works on, with the queue entry it holds for each.
    in_flight: Mutex<HashMap<Uuid, String>>,
    /// True once the process is shutting down: nothing new is claimed.
    stopping: CancellationToken,
    /// The sends in hand, drained when the process stops.
    sends: Tasks,
}

enum Progress {
    Done,
    Again,
    WaitUntil(DateTime<Utc>),
}

pub(super) async fn run(notes: Notifications, stopped: CancellationToken, sends: Tasks) {
    let consumer = format!("worker-{}", random_token(10));
    let queue = loop {
        match notes.redis.queue_consumer(consumer.clone()).await {
            Ok(queue) => break queue,
            Err(err) => {
                tracing::warn!(error = %err, "notification worker cannot reach Redis; retrying");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stopped.cancelled() => return,
                }
            }
        }
    };
    let worker = Arc::new(Worker {
        pacer: notes.pacer.clone(),
        notes,
        queue,
        in_flight: Mutex::default(),
        stopping: stopped.clone(),
        sends,
    });
    tracing::info!(consumer, "notification worker started");
    let idle_ms = worker.notes.policy.reclaim_idle.as_millis() as u64;
    let mut next_sweep = Instant::now();
    let mut next_gauge = Instant::now();
    let mut startup = true;
    loop {
        if stopped.is_cancelled() {
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
                _ = stopped.cancelled() => break,
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
                    _ = stopped.cancelled() => break,
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
            let sends = self.sends.clone();
            sends.spawn(async move { self.ack(&entry.id).await });
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
        let sends = self.sends.clone();
        sends.spawn(async move {
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

    fn stopping(&self) -> bool {
        self.stopping.is_cancelled()
    }

    /// Resolves once the process is shutting down.
    async fn stopped(&self) {
        self.stopping.cancelled().await;
    }

    /// Works on one notification until every delivery is settled (then acknowledges its entry),
    /// or the process shuts down (then the entry stays pending for the next process). The entry
    /// is touched all along, so no other replica's `XAUTOCLAIM` takes it while work goes on.
    async fn process(&self, id: Uuid, entry: &str) {
        loop {
            if self.stopping() {
                return;
            }
            let round = self.work_once(id);
            let keep = self.keep_entry(entry);
            tokio::pin!(round);
            tokio::pin!(keep);
            let progress = tokio::select! {
                progress = &mut round => progress,
                _ = &mut keep => unreachable!("touching never ends"),
            };
            match progress {
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

    /// Touches the queue entry every third of `NOTIFY_RECLAIM_IDLE_SECONDS`, for ever.
    async fn keep_entry(&self, entry: &str) {
        let step = self.notes.policy.reclaim_idle / 3;
        loop {
            tokio::time::sleep(step).await;
            if let Err(err) = Box::pin(self.queue.touch(entry)).await {
                tracing::debug!(error = %err, "could not touch a queue entry");
            }
        }
    }

    /// Sleeps until `at` (or shutdown), touching the queue entry so no other worker takes it
    /// meanwhile.
    async fn wait_holding(&self, entry: &str, at: DateTime<Utc>) {
        let left = (at - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(left) => {}
            _ = self.keep_entry(entry) => {}
            _ = self.stopped() => {}
        }
    }

    /// Sends every due delivery of one notification once; says what to do next.
    async fn work_once(&self, id: Uuid) -> Result<Progress> {
        let db = &self.notes.db;
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
        let fallback = self.notes.default_language;
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
            let later = match d.status {
                status if status.is_settled() => continue,
                DeliveryStatus::Sending => d.lease_until.filter(|t| *t > now),
                _ => d.next_attempt_at.filter(|t| *t > now),
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

    /// Waits for the chat's turn and a global slot, then claims, sends and records one delivery.
    /// The claim (and its lease) starts when the send does, after every wait; a shutdown during
    /// the waits leaves the delivery unclaimed for the next process, and one after the claim lets
    /// the send finish and be recorded.
    async fn deliver(&self, id: Uuid, chat: i64, attempt: i32, text: &str, created: DateTime<Utc>) {
        let db = &self.notes.db;
        let policy = &self.notes.policy;
        let mut turn = tokio::select! {
            turn = self.pacer.turn(chat) => turn,
            _ = self.stopped() => return,
        };
        tokio::select! {
            _ = turn.begin() => {}
            _ = self.stopped() => return,
        }
        let token = match Box::pin(deliveries::claim(db, id, chat, policy.send_lease)).await {
            Ok(Some(token)) => token,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(error = %err, "could not claim a delivery");
                return;
            }
        };
        let answer = if text.is_empty() {
            Answer::Transient("unreadable order".into())
        } else {
            // Made only now, and on the heap (see the module's doc).
            Box::pin(self.notes.telegram.send_order(ChatId(chat), text)).await
        };
        if let Answer::Throttled(wait) = &answer {
            turn.hold(*wait);
        }
        // The chat's turn ends here, before the answer is written down.
        drop(turn);
        let verdict = Verdict::of(answer, id, chat, attempt, created, policy.max_retry);
        let claimed = deliveries::Claimed {
            notification: id,
            chat_id: chat,
            token: &token,
        };
        Box::pin(verdict.record(&self.notes.db, claimed)).await;
    }

    /// Re-enqueues notifications the database has work for: all of them at startup, later only
    /// those whose due work nobody picked up.
    async fn sweep(&self, startup: bool) {
        let overdue_by =
            (!startup).then(|| (self.notes.policy.reclaim_idle * 2).max(Duration::from_secs(60)));
        let ids = match deliveries::unfinished(&self.notes.db, overdue_by).await {
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
            if let Err(err) = self.notes.redis.enqueue_notification(id).await {
                tracing::warn!(error = %err, "sweep could not enqueue");
                return;
            }
        }
    }
}
