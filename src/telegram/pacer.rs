//! Keeps the bot's sends within Telegram's limits: a global rate across all chats, shared by
//! every message the process sends, and a minimum spacing between two order messages to the same
//! chat (tighter for groups).
//!
//! Two lanes share the global rate. Order notifications wait in line (a fair queue: the first to
//! ask is the first served, and only the head of the line sleeps on the clock). Login codes and
//! the bot's answers take the priority lane: the next free slot, ahead of every notification
//! still waiting, so a burst of orders delays a code by one slot at most (1/30 s at Telegram's
//! 30 messages/s) and never the other way round. The global rate still holds: a slot the
//! priority lane takes is one the line waits longer for.
//!
//! Hand-written rather than governor: sends must also be *serialised* per chat (the next message
//! of a chat starts only after the previous one was sent), and priority must jump the line.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::{Instant, sleep_until};

use crate::config::NotifyPolicy;

pub(crate) struct Pacer {
    global_interval: Duration,
    /// The earliest moment the next message may go out, in either lane.
    next_global_slot: Mutex<Instant>,
    /// Notifications waiting for a global slot, in order; only the one holding it sleeps.
    line: tokio::sync::Mutex<()>,
    private_interval: Duration,
    group_interval: Duration,
    /// Per chat: when its last message was sent.
    chats: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
    /// Per chat: the bot's answers (see [`Pacer::answer_slot`]).
    answers: Mutex<HashMap<i64, Answers>>,
}

/// How much timer lateness the line makes up (see [`Pacer::global_slot`]).
const CATCH_UP: Duration = Duration::from_millis(5);

/// The spacing of the bot's answers to one chat.
const ANSWER_INTERVAL: Duration = Duration::from_secs(1);

/// When the bot may next answer a chat, and whether an answer already waits for that moment.
#[derive(Default)]
struct Answers {
    next: Option<Instant>,
    waiting: bool,
}

impl Pacer {
    pub(crate) fn new(policy: &NotifyPolicy) -> Self {
        Self {
            global_interval: Duration::from_secs(1) / policy.global_per_second,
            next_global_slot: Mutex::new(Instant::now()),
            line: tokio::sync::Mutex::new(()),
            private_interval: Duration::from_secs(1) / policy.chat_per_second,
            group_interval: Duration::from_secs(60) / policy.group_per_minute,
            chats: Mutex::default(),
            answers: Mutex::default(),
        }
    }

    fn chat(&self, chat_id: i64) -> Arc<tokio::sync::Mutex<Option<Instant>>> {
        let mut chats = self.chats.lock().unwrap_or_else(|e| e.into_inner());
        if chats.len() > 50_000 {
            // Forget chats nobody is sending to (their lock is not held anywhere).
            chats.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        chats.entry(chat_id).or_default().clone()
    }

    /// The spacing between two messages to one chat (groups have negative ids).
    fn interval(&self, chat_id: i64) -> Duration {
        if chat_id < 0 {
            self.group_interval
        } else {
            self.private_interval
        }
    }

    fn next_global_slot(&self) -> std::sync::MutexGuard<'_, Instant> {
        self.next_global_slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Waits in line for a global slot (order notifications). The head of the line sleeps
    /// until the next free slot and takes it, unless the priority lane took it meanwhile: then
    /// it sleeps again.
    async fn global_slot(&self) {
        let _in_line = self.line.lock().await;
        loop {
            let now = Instant::now();
            let free_at = {
                let mut next = self.next_global_slot();
                if *next <= now {
                    // The next slot follows this one's scheduled time, not the moment the timer
                    // fired: a timer late by a millisecond at 1000 messages/s would otherwise
                    // slow the rate to half. At most `CATCH_UP` of lateness is made up, so an
                    // idle pacer cannot release a burst.
                    let behind = now.checked_sub(CATCH_UP).unwrap_or(now);
                    *next = (*next).max(behind) + self.global_interval;
                    return;
                }
                *next
            };
            sleep_until(free_at).await;
        }
    }

    /// Waits until the bot may answer `chat` (one answer a second per chat), then takes a
    /// priority slot. A user cannot spend the bot's budget: while one answer to the chat already
    /// waits for its second, a `droppable` update (a button press) is dropped, and false is
    /// returned; other updates wait their turn.
    pub(crate) async fn answer_slot(&self, chat: i64, droppable: bool) -> bool {
        let (at, waits) = {
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if answers.len() > 10_000 {
                answers.retain(|_, a| a.waiting || a.next.is_some_and(|n| n > now));
            }
            let chat = answers.entry(chat).or_default();
            let at = chat.next.map_or(now, |next| next.max(now));
            let waits = at > now;
            if waits && droppable && chat.waiting {
                return false;
            }
            chat.waiting |= waits;
            chat.next = Some(at + ANSWER_INTERVAL);
            (at, waits)
        };
        if waits {
            sleep_until(at).await;
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(chat) = answers.get_mut(&chat) {
                chat.waiting = false;
            }
        }
        self.priority_slot().await;
        true
    }

    /// Takes the next free global slot ahead of the notifications in line, and waits for it
    /// (login codes and the bot's answers).
    pub(crate) async fn priority_slot(&self) {
        let slot = {
            let mut next = self.next_global_slot();
            let slot = (*next).max(Instant::now());
            *next = slot + self.global_interval;
            slot
        };
        sleep_until(slot).await;
    }

    /// Waits for the chat's turn: `interval` after its previous message was sent. Nothing else
    /// is sent to the chat until the turn is dropped.
    pub(crate) async fn turn(&self, chat_id: i64) -> Turn<'_> {
        let interval = self.interval(chat_id);
        let last = self.chat(chat_id).lock_owned().await;
        if let Some(previous) = *last {
            sleep_until(previous + interval).await;
        }
        Turn {
            pacer: self,
            interval,
            last,
        }
    }
}

/// A chat's turn (see [`Pacer::turn`]).
pub(crate) struct Turn<'a> {
    pacer: &'a Pacer,
    interval: Duration,
    last: tokio::sync::OwnedMutexGuard<Option<Instant>>,
}

impl Turn<'_> {
    /// Waits for a global slot, then runs `send()`. The chat's spacing and the global slot count
    /// from this moment, not from when the turn began: whatever the caller did in its turn (a
    /// database claim, quick or slow) must not bunch the sends up.
    ///
    /// The send is made only now, and on the heap: a burst of orders leaves thousands of
    /// deliveries waiting for their turns, and none of them should hold a Telegram request
    /// meanwhile.
    #[cfg(test)]
    pub(crate) async fn send<T, F: std::future::Future<Output = T>>(
        &mut self,
        send: impl FnOnce() -> F,
    ) -> T {
        self.begin().await;
        Box::pin(send()).await
    }

    /// Waits for a global slot; the chat's spacing counts from now. What the caller does next
    /// is its send.
    pub(crate) async fn begin(&mut self) {
        self.pacer.global_slot().await;
        *self.last = Some(Instant::now());
    }

    /// Holds the chat back for `pause` from now (Telegram answered 429 with `retry_after`). Done
    /// in the turn, so no other message to the chat slips in before the pause begins.
    pub(crate) fn hold(&mut self, pause: Duration) {
        let until = Instant::now() + pause;
        // The next turn begins at `last + interval`: make that at least `until`.
        *self.last = Some(until.checked_sub(self.interval).unwrap_or(until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(global: u32, chat: u32) -> NotifyPolicy {
        NotifyPolicy {
            global_per_second: global,
            chat_per_second: chat,
            group_per_minute: 20,
            max_retry: Duration::from_secs(60),
            reclaim_idle: Duration::from_secs(30),
            send_lease: Duration::from_secs(60),
            drain: Duration::from_secs(10),
            shop_link_ttl: Duration::from_secs(3600),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_chat_is_spaced_by_its_interval() {
        let pacer = Pacer::new(&policy(1000, 1));
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..3 {
            times.push(pacer.turn(7).await.send(|| async { Instant::now() }).await);
        }
        assert!(times[1] - times[0] >= Duration::from_secs(1));
        assert!(times[2] - start >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn spacing_counts_from_the_send_not_the_turn() {
        let pacer = Pacer::new(&policy(1000, 1));
        let mut turn = pacer.turn(7).await;
        // A slow database claim in the chat's turn.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let first = turn.send(|| async { Instant::now() }).await;
        drop(turn);
        let next = pacer.turn(7).await.send(|| async { Instant::now() }).await;
        assert!(next - first >= Duration::from_secs(1), "{:?}", next - first);
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_chat_waits_out_the_pause() {
        let pacer = Pacer::new(&policy(1000, 1));
        let mut turn = pacer.turn(7).await;
        let throttled = turn.send(|| async { Instant::now() }).await;
        turn.hold(Duration::from_secs(30));
        drop(turn);
        let next = pacer.turn(7).await.send(|| async { Instant::now() }).await;
        assert!(
            next - throttled >= Duration::from_secs(30),
            "{:?}",
            next - throttled
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_turn_given_up_does_not_delay_the_next() {
        let pacer = Pacer::new(&policy(1000, 1));
        let start = Instant::now();
        drop(pacer.turn(7).await);
        pacer.turn(7).await.send(|| async {}).await;
        assert!(start.elapsed() < Duration::from_millis(10));
    }

    #[tokio::test(start_paused = true)]
    async fn groups_get_three_seconds() {
        let pacer = Pacer::new(&policy(1000, 1));
        let a = pacer.turn(-5).await.send(|| async { Instant::now() }).await;
        let b = pacer.turn(-5).await.send(|| async { Instant::now() }).await;
        assert!(b - a >= Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn the_priority_lane_goes_ahead_of_the_line_within_the_rate() {
        let pacer = Arc::new(Pacer::new(&policy(10, 1)));
        let start = Instant::now();
        let orders: Vec<_> = (0..20)
            .map(|chat| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer
                        .turn(chat)
                        .await
                        .send(|| async { Instant::now() })
                        .await
                })
            })
            .collect();
        // Half a second into the burst, a code.
        tokio::time::sleep(Duration::from_millis(500)).await;
        pacer.priority_slot().await;
        let code = Instant::now();
        assert!(
            code - start <= Duration::from_millis(600),
            "{:?}",
            code - start
        );
        let mut sends = vec![code];
        for order in orders {
            sends.push(order.await.unwrap());
        }
        sends.sort();
        // 21 sends at 10/s: no two closer than the interval.
        for pair in sends.windows(2) {
            assert!(pair[1] - pair[0] >= Duration::from_millis(99), "{pair:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_hammered_chat_gets_one_answer_a_second_and_the_rest_are_dropped() {
        let pacer = Arc::new(Pacer::new(&policy(1000, 1)));
        let start = Instant::now();
        let presses: Vec<_> = (0..10)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move { pacer.answer_slot(7, true).await.then(Instant::now) })
            })
            .collect();
        let mut answered = Vec::new();
        for press in presses {
            answered.extend(press.await.unwrap());
        }
        assert_eq!(answered.len(), 2, "{answered:?}");
        assert!(answered[1] - answered[0] >= Duration::from_secs(1));
        // Another chat is not held back, and messages wait rather than vanish.
        assert!(pacer.answer_slot(8, true).await);
        assert!(pacer.answer_slot(7, false).await);
        assert!(start.elapsed() >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn the_global_rate_holds_across_chats() {
        let pacer = Arc::new(Pacer::new(&policy(10, 1)));
        let start = Instant::now();
        let handles: Vec<_> = (0..20)
            .map(|chat| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer
                        .turn(chat)
                        .await
                        .send(|| async { Instant::now() })
                        .await
                })
            })
            .collect();
        let mut last = start;
        for h in handles {
            last = last.max(h.await.unwrap());
        }
        // 20 sends at 10/s: the last one no earlier than 1.9 s in.
        assert!(
            last - start >= Duration::from_millis(1900),
            "{:?}",
            last - start
        );
    }
}
