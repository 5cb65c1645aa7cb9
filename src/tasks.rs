//! One lifecycle for everything the service does in the background, and the only place that
//! spawns. Two kinds of task:
//!
//! - **Loops** (the bot's poller, the order worker, webhook registration, upkeep, the limiter's
//!   cleanup): [`Tasks::spawn`]; each watches [`Tasks::signal`] and ends its own way.
//! - **Jobs** (a code's send, a reply in Telegram, a webhook update already answered `200`):
//!   [`Tasks::spawn_job`]; a job in hand when the stop signal comes is finished if it can be
//!   within the grace period (`NOTIFY_DRAIN_SECONDS`), and abandoned with a warning after it.
//!
//! Stopping signals every task and waits for all of them before the stores close. A component
//! that drains on its own clock (the order worker's sends) takes a [`Tasks::child`].

use std::{future::Future, time::Duration};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

/// How long jobs may go on after the stop signal unless the configuration says otherwise.
const DEFAULT_GRACE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub(crate) struct Tasks {
    stop: CancellationToken,
    tracker: TaskTracker,
    grace: Duration,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new(DEFAULT_GRACE)
    }
}

impl Tasks {
    /// Jobs get `grace` after the stop signal to finish.
    pub(crate) fn new(grace: Duration) -> Self {
        Self {
            stop: CancellationToken::new(),
            tracker: TaskTracker::new(),
            grace,
        }
    }

    /// Runs a loop until it ends; it should end soon after [`Tasks::signal`] is cancelled.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(task);
    }

    /// Runs a task its spawner awaits (and may abort), such as the poller's dispatcher.
    pub(crate) fn spawn_awaited<T: Send + 'static>(
        &self,
        task: impl Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        self.tracker.spawn(task)
    }

    /// Runs a one-off job (`what` names it in the log), finished within the grace period if the
    /// service stops while it is in hand.
    pub(crate) fn spawn_job(
        &self,
        what: &'static str,
        job: impl Future<Output = ()> + Send + 'static,
    ) {
        let stop = self.stop.clone();
        let grace = self.grace;
        self.tracker.spawn(async move {
            let cut_off = async {
                stop.cancelled().await;
                tokio::time::sleep(grace).await;
            };
            tokio::select! {
                () = job => {}
                () = cut_off => tracing::warn!(
                    job = what,
                    grace_seconds = grace.as_secs(),
                    "shutting down: a job still unfinished after the grace period is abandoned"
                ),
            }
        });
    }

    /// The stop signal, for a loop to watch.
    pub(crate) fn signal(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Tasks of their own (the same stop signal, a tracker of their own), which the owner drains
    /// with [`Tasks::drain`]; stopping the parent does not wait for them.
    pub(crate) fn child(&self) -> Self {
        Self {
            stop: self.stop.clone(),
            tracker: TaskTracker::new(),
            grace: self.grace,
        }
    }

    /// Waits up to `limit` for every task spawned here to end; `Err` says how many are left.
    pub(crate) async fn drain(&self, limit: Duration) -> Result<(), usize> {
        self.tracker.close();
        tokio::time::timeout(limit, self.tracker.wait())
            .await
            .map_err(|_| self.tracker.len())
    }

    /// Signals every task to stop and waits until all have.
    pub(crate) async fn stop(&self) {
        self.stop.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_job_in_hand_is_finished_within_the_grace_and_cut_off_after_it() {
        let tasks = Tasks::new(Duration::from_secs(5));
        let (done_tx, mut done_rx) = tokio::sync::mpsc::unbounded_channel();
        for (name, takes) in [("quick", 2), ("slow", 60)] {
            let done = done_tx.clone();
            tasks.spawn_job(name, async move {
                tokio::time::sleep(Duration::from_secs(takes)).await;
                let _ = done.send(name);
            });
        }
        let started = tokio::time::Instant::now();
        tasks.stop().await;
        assert_eq!(started.elapsed(), Duration::from_secs(5));
        assert_eq!(done_rx.try_recv(), Ok("quick"));
        assert!(done_rx.try_recv().is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn a_child_drains_on_its_own_clock() {
        let tasks = Tasks::default();
        let child = tasks.child();
        child.spawn(tokio::time::sleep(Duration::from_secs(30)));
        child.spawn(async {});
        tokio::task::yield_now().await;
        assert_eq!(child.drain(Duration::from_secs(1)).await, Err(1));
        // The parent does not wait for the child's tasks.
        tasks.stop().await;
    }
}
