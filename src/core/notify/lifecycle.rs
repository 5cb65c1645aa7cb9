//! Starting and stopping the order worker: a stop lets every claimed send finish and be
//! recorded before the stores close.

use super::Notifications;

/// Starts the order worker among the service's tasks. When they stop, it takes no new work and
/// drains: a delivery already claimed is sent and its outcome recorded (for up to
/// `NOTIFY_DRAIN_SECONDS`), so that nothing Telegram accepted is sent again by the next process;
/// a delivery not yet claimed is left for the next process. The stores close only after.
pub(crate) fn start(notes: Notifications) {
    // The sends in hand, on a tracker of their own: drained on the worker's clock.
    let sends = notes.tasks.child();
    let drain_for = notes.policy.drain;
    let stop = notes.tasks.signal();
    notes.tasks.clone().spawn(async move {
        super::worker::run(notes, stop, sends.clone()).await;
        if let Err(in_flight) = sends.drain(drain_for).await {
            tracing::warn!(
                in_flight,
                "notification sends still in flight after NOTIFY_DRAIN_SECONDS; their leases \
                 will run out and the next process takes them over"
            );
        }
    });
}
