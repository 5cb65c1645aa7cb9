//! Keeps sends within Telegram's limits: a global rate across all chats, and a minimum spacing
//! between two messages to the same chat (tighter for groups).
//!
//! Hand-written rather than governor: sends must also be *serialised* per chat (the next message
//! of a chat starts only after the previous one was sent), and the global limit is a queue of
//! reserved slots, so many waiting senders are served in order without polling.

use std::{
    collections::HashMap,
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::time::{Instant, sleep_until};

use crate::config::NotifyPolicy;

pub struct Pacer {
    global_interval: Duration,
    next_global_slot: Mutex<Instant>,
    private_interval: Duration,
    group_interval: Duration,
    /// Per chat: when its last message was sent.
    chats: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
}

impl Pacer {
    pub fn new(policy: &NotifyPolicy) -> Self {
        Self {
            global_interval: Duration::from_secs(1) / policy.global_per_second,
            next_global_slot: Mutex::new(Instant::now()),
            private_interval: Duration::from_secs(1) / policy.chat_per_second,
            group_interval: Duration::from_secs(60) / policy.group_per_minute,
            chats: Mutex::default(),
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

    /// Reserves the next global slot and waits for it.
    async fn global_slot(&self) {
        let slot = {
            let mut next = self
                .next_global_slot
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let slot = (*next).max(Instant::now());
            *next = slot + self.global_interval;
            slot
        };
        sleep_until(slot).await;
    }

    /// Waits for the chat's turn: `interval` after its previous message was sent. Nothing else
    /// is sent to the chat until the turn is dropped.
    pub async fn turn(&self, chat_id: i64) -> Turn<'_> {
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
pub struct Turn<'a> {
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
    pub async fn send<T, F: Future<Output = T>>(&mut self, send: impl FnOnce() -> F) -> T {
        self.pacer.global_slot().await;
        *self.last = Some(Instant::now());
        Box::pin(send()).await
    }

    /// Holds the chat back for `pause` from now (Telegram answered 429 with `retry_after`). Done
    /// in the turn, so no other message to the chat slips in before the pause begins.
    pub fn hold(&mut self, pause: Duration) {
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
