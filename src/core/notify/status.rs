//! Where a notification stands, as the API shows it: derived from its deliveries.

use entity::delivery::{self, DeliveryStatus};

/// A notification's overall status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotificationStatus {
    /// The shop had no subscribed chats.
    NoRecipients,
    Queued,
    Sending,
    Sent,
    /// Settled, with some deliveries sent (or of unknown outcome) and some not.
    Partial,
    Failed,
}

impl NotificationStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::NoRecipients => "no_recipients",
            NotificationStatus::Queued => "queued",
            NotificationStatus::Sending => "sending",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Partial => "partial",
            NotificationStatus::Failed => "failed",
        }
    }

    /// The overall status of these deliveries.
    pub(crate) fn of(deliveries: &[delivery::Model]) -> Self {
        use DeliveryStatus::{Queued, Retrying, Sending, Sent, Unknown};
        if deliveries.is_empty() {
            return NotificationStatus::NoRecipients;
        }
        let count = |s: DeliveryStatus| deliveries.iter().filter(|d| d.status == s).count();
        let sent = count(Sent);
        if sent == deliveries.len() {
            return NotificationStatus::Sent;
        }
        // A delivery whose outcome is unknown counts as settled; the notification is then
        // `partial` (some sent or unknown) rather than `failed`.
        let unknown = count(Unknown);
        let open = count(Queued) + count(Sending) + count(Retrying);
        if open > 0 {
            let started = sent > 0 || deliveries.iter().any(|d| d.attempts > 0);
            return if started {
                NotificationStatus::Sending
            } else {
                NotificationStatus::Queued
            };
        }
        if sent + unknown > 0 {
            NotificationStatus::Partial
        } else {
            NotificationStatus::Failed
        }
    }
}

/// A delivery's status as the API shows it (`sending` is internal: a first send is still
/// `queued`, a later one `retrying`).
pub(crate) fn public_status(delivery: &delivery::Model) -> DeliveryStatus {
    match delivery.status {
        DeliveryStatus::Sending if delivery.attempts > 1 => DeliveryStatus::Retrying,
        DeliveryStatus::Sending => DeliveryStatus::Queued,
        other => other,
    }
}
