//! Starting and stopping the order worker: a stop lets every claimed send finish and be
//! recorded before the stores close.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{sync::watch, task::JoinHandle};

use crate::state::AppState;

pub struct WorkerTask {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
    drained: Arc<Drain>,
    drain_for: Duration,
}

impl WorkerTask {
    /// Stops taking new work and drains: a delivery already claimed is sent and its outcome
    /// recorded (for up to `NOTIFY_DRAIN_SECONDS`), so that nothing Telegram accepted is sent
    /// again by the next process; a delivery not yet claimed is left for the next process. Only
    /// then may the caller close the database and Redis.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.handle.await;
        if tokio::time::timeout(self.drain_for, self.drained.until_idle())
            .await
            .is_err()
        {
            tracing::warn!(
                in_flight = self.drained.count(),
                "notification sends still in flight after NOTIFY_DRAIN_SECONDS; their leases \
                 will run out and the next process takes them over"
            );
        }
    }
}

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

pub fn start(state: AppState) -> WorkerTask {
    let (stop, stopped) = watch::channel(false);
    let drained = Arc::new(Drain::default());
    let drain_for = state.config.notify.drain;
    let handle = tokio::spawn(super::worker::run(state, stopped, drained.clone()));
    WorkerTask {
        stop,
        handle,
        drained,
        drain_for,
    }
}
