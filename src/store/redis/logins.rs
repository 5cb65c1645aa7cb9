//! One-tap logins in Redis: one hash per login (see `lua/start_login.lua` for its fields), the
//! login an account is linking its phone for, and the per-account allowance of opened links.
//! The nonce and the poll token are stored as keyed hashes only.

use std::time::Duration;

use fred::prelude::{HashesInterface, KeysInterface};

use super::{RedisStore, unexpected};
use crate::{
    domain::{Asking, TelegramId},
    error::Result,
};

/// What opening a login link did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Open {
    /// This account opened it first: it may answer.
    Opened(Asking),
    /// Someone opened it before.
    Used,
    /// Expired, unknown or forged.
    Missing,
}

/// What answering a login did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Settle {
    /// Answered now: approved, or denied (asked, or by a wrong number).
    Settled { approved: bool },
    /// It was answered before (approved or denied).
    Already,
    /// Expired, or not opened by this account.
    Missing,
}

/// What the browser learns when it asks.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Collect {
    /// Not answered yet (opened or not).
    Pending,
    Denied,
    /// Approved for this user; handed over now, and never again.
    Approved(String),
    /// Expired, unknown, or already collected.
    Expired,
    /// The poll token is not this login's.
    Forbidden,
}

impl RedisStore {
    pub(crate) async fn start_login(
        &self,
        id: &str,
        nonce_hash: &str,
        poll_hash: &str,
        asking: &Asking,
        ttl: Duration,
    ) -> Result<()> {
        let _: i64 = self
            .scripts
            .start_login
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.login(id)],
                vec![
                    nonce_hash.to_string(),
                    poll_hash.to_string(),
                    asking.browser.clone(),
                    asking.created.to_string(),
                    ttl.as_millis().to_string(),
                    asking.site.clone(),
                    asking.origin.clone(),
                    asking.number.map(|n| n.to_string()).unwrap_or_default(),
                ],
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn open_login(
        &self,
        id: &str,
        nonce_hash: &str,
        by: TelegramId,
    ) -> Result<Open> {
        let answer: Vec<String> = self
            .scripts
            .open_login
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.login(id)],
                vec![nonce_hash.to_string(), by.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [status, browser, created, site, origin, number] if status == "opened" => {
                Ok(Open::Opened(Asking {
                    browser: browser.clone(),
                    created: created
                        .parse()
                        .map_err(|_| unexpected("open_login", &answer))?,
                    site: site.clone(),
                    origin: origin.clone(),
                    number: number.parse().ok(),
                }))
            }
            [status] if status == "used" => Ok(Open::Used),
            [status] if status == "missing" => Ok(Open::Missing),
            _ => Err(unexpected("open_login", &answer)),
        }
    }

    /// Answers a login opened by `by`: approved for `user` (the browser then has at least
    /// `collect_within` to collect it), or denied (`user` = `None`).
    pub(crate) async fn settle_login(
        &self,
        id: &str,
        by: TelegramId,
        user: Option<&str>,
        picked: Option<u8>,
        collect_within: Duration,
    ) -> Result<Settle> {
        let verdict = if user.is_some() { "approved" } else { "denied" };
        let answer: Vec<String> = self
            .scripts
            .settle_login
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.login(id)],
                vec![
                    by.to_string(),
                    verdict.to_string(),
                    user.unwrap_or_default().to_string(),
                    collect_within.as_millis().to_string(),
                    picked.map(|n| n.to_string()).unwrap_or_default(),
                ],
            )
            .await?;
        match answer.as_slice() {
            [status, verdict] if status == "settled" => Ok(Settle::Settled {
                approved: verdict == "approved",
            }),
            [status] => match status.as_str() {
                "already" => Ok(Settle::Already),
                "missing" => Ok(Settle::Missing),
                _ => Err(unexpected("settle_login", &answer)),
            },
            _ => Err(unexpected("settle_login", &answer)),
        }
    }

    pub(crate) async fn collect_login(&self, id: &str, poll_hash: &str) -> Result<Collect> {
        let answer: Vec<String> = self
            .scripts
            .collect_login
            .evalsha_with_reload(
                self.pool.next(),
                vec![self.keys.login(id)],
                vec![poll_hash.to_string()],
            )
            .await?;
        match answer.as_slice() {
            [status] => match status.as_str() {
                "pending" | "opened" => Ok(Collect::Pending),
                "denied" => Ok(Collect::Denied),
                "expired" => Ok(Collect::Expired),
                "forbidden" => Ok(Collect::Forbidden),
                _ => Err(unexpected("collect_login", &answer)),
            },
            [status, user] if status == "approved" => Ok(Collect::Approved(user.clone())),
            _ => Err(unexpected("collect_login", &answer)),
        }
    }

    /// The login's poll-token hash, while it lives (to check a token without collecting).
    pub(crate) async fn login_poll_hash(&self, id: &str) -> Result<Option<String>> {
        Ok(self.pool.next().hget(self.keys.login(id), "p").await?)
    }

    /// The name of the client a login began for, while it lives.
    pub(crate) async fn login_site(&self, id: &str) -> Result<Option<String>> {
        Ok(self.pool.next().hget(self.keys.login(id), "sn").await?)
    }

    /// What a login opened by `by` shows, if it is still waiting for `by`'s answer.
    pub(crate) async fn opened_login(&self, id: &str, by: TelegramId) -> Result<Option<Asking>> {
        let fields: Vec<Option<String>> = self
            .pool
            .next()
            .hmget(
                self.keys.login(id),
                vec!["s", "t", "b", "c", "sn", "so", "k"],
            )
            .await?;
        let [status, opener, browser, created, site, origin, number] =
            <[Option<String>; 7]>::try_from(fields).map_err(|f| unexpected("HMGET", f))?;
        let waiting = status.as_deref() == Some("opened") && opener == Some(by.to_string());
        Ok(waiting.then(|| Asking {
            browser: browser.unwrap_or_default(),
            created: created.and_then(|c| c.parse().ok()).unwrap_or_default(),
            site: site.unwrap_or_default(),
            origin: origin.unwrap_or_default(),
            number: number.and_then(|n| n.parse().ok()),
        }))
    }

    /// Remembers that `by` opened login `id` before linking a phone: it is shown again once
    /// the phone is shared.
    pub(crate) async fn await_phone_for_login(
        &self,
        by: TelegramId,
        id: &str,
        ttl: Duration,
    ) -> Result<()> {
        self.set_expiring(self.keys.login_awaiting_phone(by), id.to_string(), ttl)
            .await
    }

    /// The login `by` was linking a phone for, once (forgotten as it is read).
    pub(crate) async fn take_login_awaiting_phone(&self, by: TelegramId) -> Result<Option<String>> {
        Ok(self
            .pool
            .next()
            .getdel(self.keys.login_awaiting_phone(by))
            .await?)
    }

    /// Counts a login link opened by `by` against its allowance (a burst of `per_minute`,
    /// refilling over the minute): `None` when admitted, else how long to wait.
    pub(crate) async fn admit_login_open(
        &self,
        by: TelegramId,
        per_minute: u32,
    ) -> Result<Option<Duration>> {
        self.admit(self.keys.login_opens(by), per_minute).await
    }
}
