//! The two stores, and the only code that speaks to them (the core calls these; the front doors
//! never do).
//!
//! - [`redis`]: what is hot and short-lived, shared by every replica — bindings (a copy), codes,
//!   limits, sessions, one-tap logins, the order queue, the poller's lease.
//! - [`sql`]: what must survive — users (the truth about bindings), shops and their chats,
//!   notifications and their deliveries.

pub(crate) mod redis;
pub(crate) mod sql;

pub(crate) use redis::{
    Check, Claimed, Collect, GatewayMessage, GatewaySlot, Issue, Open, Redeemed, RedisStore,
    Reported, Rotated, Rotation, SessionPolicy, Settle, StoreMode, WaitsOn,
};
