//! One lifecycle for the service's background tasks (the bot's poller, the order worker, the
//! webhook registration, upkeep, the per-address limiter's cleanup): each is spawned here, each
//! watches the same stop signal, and stopping waits for all of them to finish their part.

use std::future::Future;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

#[derive(Clone, Default)]
pub struct Tasks {
    stop: CancellationToken,
    tracker: TaskTracker,
}

impl Tasks {
    /// Runs `task` until it ends; it should end soon after [`Tasks::stopping`] resolves.
    pub fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        self.tracker.spawn(task);
    }

    /// The stop signal, for a task to watch.
    pub fn signal(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Signals every task to stop and waits until all have.
    pub async fn stop(&self) {
        self.stop.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}
