//! Starting and stopping the order worker: a stop lets every claimed send finish and be
//! recorded before the stores close.

use std::sync::{Arc, Mutex};

use crate::state::AppState;

/// The notifications this process is working on, and a signal when there are none.
#[derive(Default)]
pub(super) struct Drain {
    working: Mutex<usize>,
    idle: tokio::sync::Notify,
}

impl Drain {
    pub(super) fn count(&self) -> usize {
        *self.working.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn started(self: &Arc<Self>) -> Working {
        *self.working.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        Working(self.clone())
    }

    async fn until_idle(&self) {
        loop {
            let idle = self.idle.notified();
            if self.count() == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// Held while a notification is worked on.
pub(super) struct Working(Arc<Drain>);

impl Drop for Working {
    fn drop(&mut self) {
        let mut working = self.0.working.lock().unwrap_or_else(|e| e.into_inner());
        *working -= 1;
        if *working == 0 {
            self.0.idle.notify_waiters();
        }
    }
}

/// Starts the order worker among the service's tasks. When they stop, it takes no new work and
/// drains: a delivery already claimed is sent and its outcome recorded (for up to
/// `NOTIFY_DRAIN_SECONDS`), so that nothing Telegram accepted is sent again by the next process;
/// a delivery not yet claimed is left for the next process. The stores close only after.
pub fn start(state: AppState) {
    let drained = Arc::new(Drain::default());
    let drain_for = state.notify.drain;
    let stop = state.tasks.signal();
    state.tasks.clone().spawn(async move {
        super::worker::run(state, stop, drained.clone()).await;
        if tokio::time::timeout(drain_for, drained.until_idle())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = drained.count(),
                "notification sends still in flight after NOTIFY_DRAIN_SECONDS; their leases \
                 will run out and the next process takes them over"
            );
        }
    });
}
