//! The core: what otpgram does, whichever front door asked. The only way to the stores.
//!
//! - [`otp`]: asking for a code (site push, bot pull) and checking it, with the attempt limits.
//! - [`gateway`]: the second channel for codes, Telegram's Gateway API, and what it may spend.
//! - [`binding`]: a phone linked to a Telegram account; SQL is the truth, Redis its hot copy.
//! - [`oidc`]: otpgram as an OpenID Connect provider for the shops' sites.
//! - [`login_session`]: the hosted login page's session, shared by every shop (single sign-on).
//! - [`one_tap`]: logging in with one tap in Telegram instead of a typed code.
//! - [`session`]: access and refresh tokens, rotation, logout.
//! - [`profile`]: the user as the API shows it, and the fields a site may change.
//! - [`shops`]: shops, their owner links and the chats that hear about orders.
//! - [`notify`]: order notifications: submit, the delivery worker, its lifecycle.
//! - [`replicas`]: what several replicas share: the poller lease, first sightings.

pub(crate) mod binding;
pub(crate) mod gateway;
pub(crate) mod login_session;
pub(crate) mod notify;
pub(crate) mod oidc;
pub(crate) mod one_tap;
pub(crate) mod otp;
pub(crate) mod profile;
pub(crate) mod replicas;
pub(crate) mod session;
pub(crate) mod shops;
