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
//!
//! Each concern is a component built once in `App::build` with exactly the handles it needs;
//! the bigger ones keep them in a [`Component`], one `Arc`.

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

/// A component's handles behind one `Arc`: a background job that needs them clones a pointer.
/// `impl Component<Handles> { .. }` gives it its methods; it reads its handles through `Deref`.
pub(crate) struct Component<H>(std::sync::Arc<H>);

impl<H> Component<H> {
    pub(crate) fn new(handles: H) -> Self {
        Self(std::sync::Arc::new(handles))
    }
}

impl<H> Clone for Component<H> {
    fn clone(&self) -> Self {
        Self(std::sync::Arc::clone(&self.0))
    }
}

impl<H> std::ops::Deref for Component<H> {
    type Target = H;

    fn deref(&self) -> &H {
        &self.0
    }
}
