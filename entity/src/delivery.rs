//! `deliveries`: one notification to one chat. The row is the record that makes delivery
//! exactly-once: a worker claims it (`sending`, with a lease) before calling Telegram and marks
//! it `sent` after Telegram confirmed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notification_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub lease_until: Option<DateTimeUtc>,
    /// The token of the current (or last) claim: only its holder records the outcome.
    pub claim: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub message_id: Option<i64>,
}

/// Where a delivery stands; stored as its lower-case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryStatus {
    /// Waiting for its first send.
    #[sea_orm(string_value = "queued")]
    Queued,
    /// Claimed by a worker that is sending it (under a lease).
    #[sea_orm(string_value = "sending")]
    Sending,
    /// A send failed for a passing reason; due again at `next_attempt_at`.
    #[sea_orm(string_value = "retrying")]
    Retrying,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Given up.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// The chat refuses the bot.
    #[sea_orm(string_value = "inactive")]
    Inactive,
    /// The request went out and no answer came back: Telegram may or may not have shown the
    /// message. Not sent again.
    #[sea_orm(string_value = "unknown")]
    Unknown,
}

impl DeliveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Queued => "queued",
            DeliveryStatus::Sending => "sending",
            DeliveryStatus::Retrying => "retrying",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Inactive => "inactive",
            DeliveryStatus::Unknown => "unknown",
        }
    }

    /// Nothing more will be sent for it.
    pub fn is_settled(self) -> bool {
        matches!(
            self,
            DeliveryStatus::Sent
                | DeliveryStatus::Failed
                | DeliveryStatus::Inactive
                | DeliveryStatus::Unknown
        )
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::notification::Entity",
        from = "Column::NotificationId",
        to = "super::notification::Column::Id"
    )]
    Notification,
}

impl Related<super::notification::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Notification.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
