//! The Telegram side of a one-tap login: opening its link (asking for the phone first when the
//! account has none linked) and answering it, once.

use super::{COLLECT_WITHIN, DEEP_LINK_PREFIX, ID_LEN, NONCE_LEN, OPENS_PER_MINUTE, OneTap};
use crate::{
    domain::{Asking, TelegramId, User},
    error::Result,
    meters,
    store::{Open, Settle},
};

/// A login link opened in Telegram.
#[derive(Debug)]
pub(crate) enum Opened {
    /// Ask the account to answer (it has a phone linked).
    Confirm { login_id: String, asking: Asking },
    /// The account has no phone linked: ask for it first; the login waits (see
    /// [`awaiting_phone`]).
    NeedsPhone(Asking),
    /// Opened before (by anyone): a link works once.
    Used,
    /// Expired, unknown or malformed.
    Missing,
    /// This account opened too many links in a short time.
    Limited,
}

/// The account `by` opened a link whose `/start` payload is `payload` (`login_<id>_<nonce>`);
impl OneTap {
    /// `linked` says whether it has a phone linked.
    pub(crate) async fn open(&self, by: TelegramId, payload: &str, linked: bool) -> Result<Opened> {
        let Some((login_id, nonce)) = parse(payload) else {
            meters::telegram_login("refused");
            return Ok(Opened::Missing);
        };
        if self
            .redis
            .admit_login_open(by, OPENS_PER_MINUTE)
            .await?
            .is_some()
        {
            meters::rate_limited("login_opens");
            return Ok(Opened::Limited);
        }
        let nonce_hash = self.hasher.secret("login nonce", nonce);
        let asking = match self.redis.open_login(login_id, &nonce_hash, by).await? {
            Open::Opened(asking) => asking,
            Open::Used => {
                meters::telegram_login("refused");
                return Ok(Opened::Used);
            }
            Open::Missing => {
                meters::telegram_login("refused");
                return Ok(Opened::Missing);
            }
        };
        meters::telegram_login("opened");
        if !linked {
            self.redis
                .await_phone_for_login(by, login_id, self.link_ttl)
                .await?;
            return Ok(Opened::NeedsPhone(asking));
        }
        Ok(Opened::Confirm {
            login_id: login_id.to_string(),
            asking,
        })
    }
    /// The login `by` opened before linking a phone, if it still waits for an answer: once the
    /// phone is linked, the bot asks to confirm it.
    pub(crate) async fn awaiting_phone(&self, by: TelegramId) -> Result<Option<(String, Asking)>> {
        let Some(login_id) = self.redis.take_login_awaiting_phone(by).await? else {
            return Ok(None);
        };
        let asking = self.redis.opened_login(&login_id, by).await?;
        Ok(asking.map(|asking| (login_id, asking)))
    }
    /// The name of the client a login began for (empty: none), while the login lives.
    pub(crate) async fn site_of(&self, login_id: &str) -> Result<String> {
        Ok(self.redis.login_site(login_id).await?.unwrap_or_default())
    }
    /// The account `by` answers login `login_id`: approved when the answer is the login's number
    /// (or **Log in** on a login without one), else denied.
    pub(crate) async fn settle(
        &self,
        by: TelegramId,
        login_id: &str,
        answer: Answer<'_>,
    ) -> Result<Settled> {
        let (user_id, picked) = match answer {
            Answer::Picked(user, number) => (Some(user.id.to_string()), Some(number)),
            Answer::Approve(user) => (Some(user.id.to_string()), None),
            Answer::Deny => (None, None),
        };
        let settled = self
            .redis
            .settle_login(login_id, by, user_id.as_deref(), picked, COLLECT_WITHIN)
            .await?;
        let settled = match settled {
            Settle::Settled { approved: true } => Settled::Approved,
            Settle::Settled { .. } if user_id.is_some() => Settled::WrongNumber,
            Settle::Settled { .. } => Settled::Denied,
            Settle::Already => Settled::Already,
            Settle::Missing => Settled::Missing,
        };
        match settled {
            Settled::Approved => meters::telegram_login("approved"),
            Settled::Denied => meters::telegram_login("denied"),
            Settled::WrongNumber => meters::telegram_login("wrong_number"),
            _ => meters::telegram_login("refused"),
        }
        // A browser waiting on this replica hears of it now; others look again within RECHECK.
        self.settled.notify_waiters();
        Ok(settled)
    }
}

fn parse(payload: &str) -> Option<(&str, &str)> {
    let rest = payload.strip_prefix(DEEP_LINK_PREFIX)?;
    let (id, nonce) = rest.split_once('_')?;
    let well_formed =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (well_formed(id, ID_LEN) && well_formed(nonce, NONCE_LEN)).then_some((id, nonce))
}

/// The answer to a login, as the bot reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    Approved,
    Denied,
    /// A number that is not the one the login page shows: denied for good.
    WrongNumber,
    /// Answered before.
    Already,
    /// Expired, or not this account's to answer.
    Missing,
}

/// How the customer answered in Telegram; an approval names the account's own user.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer<'a> {
    /// Picked this number among the three.
    Picked(&'a User, u8),
    /// **Log in**, on a login that shows no number (begun before numbers were shown).
    Approve(&'a User),
    /// **Not me**.
    Deny,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_read_strictly() {
        let id = "a".repeat(ID_LEN);
        let nonce = "b".repeat(NONCE_LEN);
        let good = format!("login_{id}_{nonce}");
        assert_eq!(parse(&good), Some((id.as_str(), nonce.as_str())));
        for bad in [
            "login_".to_string(),
            format!("login_{id}"),
            format!("login_{id}_{nonce}x"),
            format!("login_{id}_{}", "b".repeat(NONCE_LEN - 1) + "-"),
            format!("shop_{id}_{nonce}"),
        ] {
            assert_eq!(parse(&bad), None, "{bad}");
        }
    }
}
