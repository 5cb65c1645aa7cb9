//! The Redis key schema, in one place.
//!
//! All keys of one phone share the hash tag `{p:<phone>}`, so they live in one cluster slot and a
//! script may touch them together; a user's sessions share `{u:<user id>}`.

use crate::domain::{Phone, TelegramId};

#[derive(Clone, Debug)]
pub(crate) struct Keys {
    prefix: String,
}

impl Keys {
    pub(crate) fn new(prefix: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
        }
    }

    fn phone_key(&self, phone: &Phone, what: &str) -> String {
        format!("{}{{p:{}}}:{what}", self.prefix, phone.as_str())
    }

    /// phone → `telegram_id[:language]` of the account it is linked to.
    pub(crate) fn binding(&self, phone: &Phone) -> String {
        self.phone_key(phone, "tg")
    }

    /// The current code: hash `h` (keyed hash, or `burned`), wrong guesses `a`, and where it was
    /// asked for, `o` (`s`: the site, `t`: the owner, in Telegram).
    pub(crate) fn code(&self, phone: &Phone) -> String {
        self.phone_key(phone, "otp")
    }

    /// Present while a new code may not be sent yet.
    pub(crate) fn cooldown(&self, phone: &Phone) -> String {
        self.phone_key(phone, "cooldown")
    }

    /// Codes sent this hour.
    pub(crate) fn sends(&self, phone: &Phone) -> String {
        self.phone_key(phone, "sends")
    }

    /// Present while the owner may not ask the bot for another code yet (apart from the site's
    /// cooldown, so that site-side traffic never holds the owner back).
    pub(crate) fn telegram_cooldown(&self, phone: &Phone) -> String {
        self.phone_key(phone, "tg_cooldown")
    }

    /// Codes the owner asked the bot for this hour.
    pub(crate) fn telegram_sends(&self, phone: &Phone) -> String {
        self.phone_key(phone, "tg_sends")
    }

    /// Codes an older integration's own bot asked for this minute.
    pub(crate) fn bot_codes(&self, phone: &Phone) -> String {
        self.phone_key(phone, "bot_codes")
    }

    /// Wrong guesses this hour, across codes.
    pub(crate) fn failures(&self, phone: &Phone) -> String {
        self.phone_key(phone, "fails")
    }

    /// A code was requested before the phone was linked; delivered when it links.
    pub(crate) fn pending(&self, phone: &Phone) -> String {
        self.phone_key(phone, "pending")
    }

    /// The id of the Gateway message carrying the phone's current code (while it lives).
    pub(crate) fn gateway_current(&self, phone: &Phone) -> String {
        self.phone_key(phone, "gw")
    }

    /// One Gateway message, by otpgram's id for it (its `payload`): the Gateway's request id
    /// `r`, the code's keyed hash `h`, the delivery status `s`.
    pub(crate) fn gateway_message(&self, id: &str) -> String {
        format!("{}{{g:{id}}}", self.prefix)
    }

    /// Present while Gateway sends are stopped (all replicas).
    pub(crate) fn gateway_paused(&self) -> String {
        format!("{}{{gw}}:paused", self.prefix)
    }

    /// Gateway sends in clock hour `hour` (Unix hours), all replicas together.
    pub(crate) fn gateway_sends(&self, hour: i64) -> String {
        format!("{}{{gw}}:sends:{hour}", self.prefix)
    }

    /// An address's per-minute allowance on the code endpoints (`addr` is an IPv4 address or
    /// an IPv6 /64 network).
    pub(crate) fn address_limit(&self, addr: &str) -> String {
        format!("{}ip:{addr}", self.prefix)
    }

    /// A one-tap login's state (a hash; see `lua/start_login.lua`).
    pub(crate) fn login(&self, id: &str) -> String {
        format!("{}{{l:{id}}}", self.prefix)
    }

    /// The login an account opened before it had linked a phone.
    pub(crate) fn login_awaiting_phone(&self, account: TelegramId) -> String {
        format!("{}tg:{account}:login", self.prefix)
    }

    /// The browsers waiting on a one-tap login now.
    pub(crate) fn login_waits(&self, login_id: &str) -> String {
        format!("{}{{l:{login_id}}}:waits", self.prefix)
    }

    /// The one-tap waits an address (an IPv6 /64) holds now.
    pub(crate) fn address_waits(&self, addr: &str) -> String {
        format!("{}ip:{addr}:waits", self.prefix)
    }

    /// An account's allowance of opened login links.
    pub(crate) fn login_opens(&self, account: TelegramId) -> String {
        format!("{}tg:{account}:login_opens", self.prefix)
    }

    /// An OpenID Connect authorization code's grant (by the code's keyed hash): `<grant
    /// id>|<grant>`, then `used:<grant id>` once traded.
    pub(crate) fn auth_code(&self, code_hash: &str) -> String {
        format!("{}oidc:code:{code_hash}", self.prefix)
    }

    /// A hosted-page login session (by its cookie's keyed hash): `<user id>|<method>|<auth
    /// time>`.
    pub(crate) fn login_session(&self, hash: &str) -> String {
        format!("{}ls:{hash}", self.prefix)
    }

    /// When the user's login sessions last ended all at once (their phone changed hands): one
    /// opened before is dead.
    pub(crate) fn login_sessions_ended(&self, user_id: &str) -> String {
        format!("{}{{u:{user_id}}}:ls_ended", self.prefix)
    }

    /// The codes a login session was given in the current window.
    pub(crate) fn login_session_codes(&self, hash: &str) -> String {
        format!("{}ls:{hash}:codes", self.prefix)
    }

    /// An OpenID Connect grant's refresh token (`offline_access`): `<keyed hash of the live
    /// token>|<grant>`.
    pub(crate) fn refresh_grant(&self, grant_id: &str) -> String {
        format!("{}oidc:refresh:{grant_id}", self.prefix)
    }

    /// Present while the tokens issued from a grant are revoked (a replayed code, or revoked
    /// by the client).
    pub(crate) fn revoked_grant(&self, grant_id: &str) -> String {
        format!("{}oidc:revoked:{grant_id}", self.prefix)
    }

    /// The notification work queue (a stream with a consumer group).
    pub(crate) fn notify_stream(&self) -> String {
        format!("{}notify:stream", self.prefix)
    }

    /// Held by the one instance that long-polls Telegram.
    pub(crate) fn poller_lease(&self) -> String {
        format!("{}bot:poller", self.prefix)
    }

    /// Marks a Telegram update as handled (webhook mode).
    pub(crate) fn update_seen(&self, update_id: u32) -> String {
        format!("{}tg:update:{update_id}", self.prefix)
    }

    /// A session's refresh-token state. A user's sessions share the hash tag `{u:<user id>}`,
    /// so that one call can end them all.
    pub(crate) fn session(&self, user_id: &str, session_id: &str) -> String {
        format!("{}{{u:{user_id}}}:s:{session_id}", self.prefix)
    }

    /// A copy of the user's record (`lua/remember_user.lua`), so that reading it needs no SQL.
    pub(crate) fn user(&self, user_id: &str) -> String {
        format!("{}{{u:{user_id}}}:user", self.prefix)
    }

    /// The keys of a user's sessions (a set).
    pub(crate) fn user_sessions(&self, user_id: &str) -> String {
        format!("{}{{u:{user_id}}}:sessions", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phones_keys_share_one_hash_tag() {
        let keys = Keys::new("t:");
        let phone = Phone::parse("+998901234567", None).unwrap();
        for key in [
            keys.binding(&phone),
            keys.code(&phone),
            keys.cooldown(&phone),
            keys.sends(&phone),
            keys.telegram_cooldown(&phone),
            keys.telegram_sends(&phone),
            keys.bot_codes(&phone),
            keys.failures(&phone),
            keys.pending(&phone),
        ] {
            assert!(key.starts_with("t:{p:+998901234567}:"), "{key}");
        }
        assert_eq!(keys.session("u1", "abc"), "t:{u:u1}:s:abc");
        assert_eq!(keys.user_sessions("u1"), "t:{u:u1}:sessions");
    }
}
