//! One-tap login in Telegram, the second way in beside a typed code (same users, sessions and
//! limits):
//! 1. the site [`start`]s a login and shows its link (a QR code on a desktop);
//! 2. the customer opens it in Telegram: the bot [`open`]s it (first asking for the phone if
//!    the account has none linked) and asks `"Log in to … from <browser>?"`;
//! 3. **Log in** or **Not me** [`settle`]s it, once;
//! 4. the browser, [`wait`]ing with a poll token only it holds, collects the session, once.
//!
//! The link carries the login's id and a nonce derived from the poll token, so whoever holds the
//! poll token can show the link again (its QR code) and the link alone collects nothing. Redis
//! keeps keyed hashes of both, never the values. Every replica can answer any step: the state
//! is in Redis, and a browser waiting on another replica than the bot's sees an approval within
//! [`RECHECK`].

use std::{net::IpAddr, time::Duration};

use chrono::Utc;
use rand::{Rng, seq::SliceRandom};
use tokio::time::Instant;
use uuid::Uuid;

use crate::{
    addresses,
    core::{otp::Login, profile::UserRecord, session},
    crypto::{constant_time_eq, random_token},
    domain::{Asking, Site, TelegramId},
    error::{Error, Result},
    meters,
    state::AppState,
    store::{Collect, Open, Settle, WaitsOn, sql::users},
};

/// `/start login_<id>_<nonce>`: the payload of a login link.
pub(crate) const DEEP_LINK_PREFIX: &str = "login_";
const ID_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const POLL_TOKEN_LEN: usize = 32;

/// An approval given just before the link expires still leaves the browser this long.
const COLLECT_WITHIN: Duration = Duration::from_secs(60);
/// Login links one Telegram account may open per minute (a burst, refilling over the minute).
const OPENS_PER_MINUTE: u32 = 5;
/// How often a waiting browser's login is looked at, when no answer on this replica woke it.
pub(crate) const RECHECK: Duration = Duration::from_millis(200);
/// The longest one wait lasts; the browser then asks again.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(25);

/// The numbers a login shows: two digits, so one is quick to read and to find among three.
const NUMBERS: std::ops::RangeInclusive<u8> = 10..=99;

/// The three numbers the confirmation offers: the login's own and two others, in random order.
pub(crate) fn choices(number: u8) -> [u8; 3] {
    let mut rng = rand::rng();
    let mut choices = vec![number];
    while choices.len() < 3 {
        let other = rng.random_range(NUMBERS);
        if !choices.contains(&other) {
            choices.push(other);
        }
    }
    choices.shuffle(&mut rng);
    [choices[0], choices[1], choices[2]]
}

/// A login begun for a browser.
pub(crate) struct Started {
    pub login_id: String,
    /// `https://t.me/<bot>?start=login_<id>_<nonce>`.
    pub link: String,
    /// The browser's secret: collecting the session (and showing the QR code) takes it.
    pub poll_token: String,
    pub expires_in: Duration,
    /// Shown beside the link and its QR code: the customer picks it among three in Telegram,
    /// so a link or QR code sent to someone who cannot see this page logs nobody in.
    pub number: u8,
}

/// Begins a login for the browser that sent `user_agent`, on `site`'s behalf (without one the
/// confirmation names `SITE_NAME`).
pub(crate) async fn start(
    state: &AppState,
    user_agent: Option<&str>,
    site: Option<Site>,
) -> Result<Started> {
    let login_id = random_token(ID_LEN);
    let poll_token = random_token(POLL_TOKEN_LEN);
    let nonce = nonce_of(state, &poll_token);
    let link = link(state, &login_id, &nonce).await?;
    let (site, origin) = site.map_or_else(Default::default, |s| (s.name, s.origin));
    let number = rand::rng().random_range(NUMBERS);
    let asking = Asking {
        browser: browser_of(user_agent),
        created: Utc::now().timestamp(),
        site,
        origin,
        number: Some(number),
    };
    let ttl = state.login.link_ttl;
    state
        .redis
        .start_login(
            &login_id,
            &state.hasher.secret("login nonce", &nonce),
            &poll_hash(state, &poll_token),
            &asking,
            ttl,
        )
        .await?;
    meters::telegram_login("started");
    Ok(Started {
        login_id,
        link,
        poll_token,
        expires_in: ttl,
        number,
    })
}

/// The login's link again, for the browser holding its poll token (to draw its QR code).
pub(crate) async fn link_for(state: &AppState, login_id: &str, poll_token: &str) -> Result<String> {
    let stored = state
        .redis
        .login_poll_hash(login_id)
        .await?
        .ok_or(Error::LoginNotFound)?;
    if !constant_time_eq(stored.as_bytes(), poll_hash(state, poll_token).as_bytes()) {
        return Err(Error::Unauthorized);
    }
    link(state, login_id, &nonce_of(state, poll_token)).await
}

async fn link(state: &AppState, login_id: &str, nonce: &str) -> Result<String> {
    let bot = state.telegram.bot_username().await?;
    Ok(format!(
        "https://t.me/{bot}?start={DEEP_LINK_PREFIX}{login_id}_{nonce}"
    ))
}

/// The link's nonce: a keyed hash of the poll token, so the link can be drawn again by the
/// browser and by nobody else.
fn nonce_of(state: &AppState, poll_token: &str) -> String {
    let mut nonce = state.hasher.secret("login link", poll_token);
    nonce.truncate(NONCE_LEN);
    nonce
}

fn poll_hash(state: &AppState, poll_token: &str) -> String {
    state.hasher.secret("login poll", poll_token)
}

/// "Chrome, Windows": what the confirmation says is asking. Empty when nothing is known.
fn browser_of(user_agent: Option<&str>) -> String {
    let Some(parsed) = user_agent.and_then(|ua| woothee::parser::Parser::new().parse(ua)) else {
        return String::new();
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let parts: Vec<&str> = [parsed.name, parsed.os]
        .into_iter()
        .filter(|s| known(s))
        .collect();
    parts.join(", ").chars().take(64).collect()
}

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
/// `linked` says whether it has a phone linked.
pub(crate) async fn open(
    state: &AppState,
    by: TelegramId,
    payload: &str,
    linked: bool,
) -> Result<Opened> {
    let Some((login_id, nonce)) = parse(payload) else {
        meters::telegram_login("refused");
        return Ok(Opened::Missing);
    };
    if state
        .redis
        .admit_login_open(by, OPENS_PER_MINUTE)
        .await?
        .is_some()
    {
        meters::rate_limited("login_opens");
        return Ok(Opened::Limited);
    }
    let nonce_hash = state.hasher.secret("login nonce", nonce);
    let asking = match state.redis.open_login(login_id, &nonce_hash, by).await? {
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
        state
            .redis
            .await_phone_for_login(by, login_id, state.login.link_ttl)
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
pub(crate) async fn awaiting_phone(
    state: &AppState,
    by: TelegramId,
) -> Result<Option<(String, Asking)>> {
    let Some(login_id) = state.redis.take_login_awaiting_phone(by).await? else {
        return Ok(None);
    };
    let asking = state.redis.opened_login(&login_id, by).await?;
    Ok(asking.map(|asking| (login_id, asking)))
}

fn parse(payload: &str) -> Option<(&str, &str)> {
    let rest = payload.strip_prefix(DEEP_LINK_PREFIX)?;
    let (id, nonce) = rest.split_once('_')?;
    let well_formed =
        |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_alphanumeric());
    (well_formed(id, ID_LEN) && well_formed(nonce, NONCE_LEN)).then_some((id, nonce))
}

/// The name of the client a login began for (empty: none), while the login lives.
pub(crate) async fn site_of(state: &AppState, login_id: &str) -> Result<String> {
    Ok(state.redis.login_site(login_id).await?.unwrap_or_default())
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
    Picked(&'a UserRecord, u8),
    /// **Log in**, on a login that shows no number (begun before numbers were shown).
    Approve(&'a UserRecord),
    /// **Not me**.
    Deny,
}

/// The account `by` answers login `login_id`: approved when the answer is the login's number
/// (or **Log in** on a login without one), else denied.
pub(crate) async fn settle(
    state: &AppState,
    by: TelegramId,
    login_id: &str,
    answer: Answer<'_>,
) -> Result<Settled> {
    let (user_id, picked) = match answer {
        Answer::Picked(user, number) => (Some(user.id.to_string()), Some(number)),
        Answer::Approve(user) => (Some(user.id.to_string()), None),
        Answer::Deny => (None, None),
    };
    let settled = state
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
    state.logins_settled.notify_waiters();
    Ok(settled)
}

/// What a waiting browser learns.
pub(crate) enum Waited {
    Pending,
    Denied,
    /// Expired, unknown, or collected before.
    Expired,
    /// The customer, verified and logged in: handed over once, for the caller to open the
    /// session it needs (the API's tokens, or the hosted page's login session).
    Approved(Box<UserRecord>),
}

/// Browsers that may wait on one login at once: the page, and one more (a second tab, a
/// reload before the first wait ended).
pub(crate) const WAITS_PER_LOGIN: u32 = 2;
/// Waits one address may hold at once: a household or an office behind one address logging in
/// together, far below what would tie up the service's connections.
pub(crate) const WAITS_PER_ADDRESS: u32 = 20;

/// Waits up to `wait` for an answer to the login, then says how it stands. An approval hands
/// over the customer (verified and logged in, as with a code), once. Only the poll token's
/// holder waits, within [`WAITS_PER_LOGIN`] and, from one address `from`, [`WAITS_PER_ADDRESS`].
pub(crate) async fn wait(
    state: &AppState,
    login_id: &str,
    poll_token: &str,
    from: Option<IpAddr>,
    wait: Duration,
) -> Result<Waited> {
    let poll_hash = poll_hash(state, poll_token);
    match state.redis.login_poll_hash(login_id).await? {
        None => return Ok(Waited::Expired),
        Some(stored) if !constant_time_eq(stored.as_bytes(), poll_hash.as_bytes()) => {
            return Err(Error::Unauthorized);
        }
        Some(_) => {}
    }
    let wait_id = random_token(12);
    let hold = MAX_WAIT + Duration::from_secs(5);
    let address = from.map(addresses::counted_as);
    let mut places = vec![(WaitsOn::Login(login_id), WAITS_PER_LOGIN)];
    if let Some(address) = address.as_deref() {
        places.push((WaitsOn::Address(address), WAITS_PER_ADDRESS));
    }
    let mut taken = Vec::new();
    for (on, limit) in places {
        if !state
            .redis
            .take_wait_slot(on, &wait_id, hold, limit)
            .await?
        {
            give_back(state, &taken, &wait_id).await;
            meters::rate_limited("login_waits");
            return Err(Error::Throttled {
                retry_after: Duration::from_secs(5),
            });
        }
        taken.push(on);
    }
    let waited = wait_for_answer(state, login_id, &poll_hash, wait).await;
    give_back(state, &taken, &wait_id).await;
    waited
}

/// Leaves the places a wait took; one left behind (Redis away) leaves by itself.
async fn give_back(state: &AppState, taken: &[WaitsOn<'_>], wait_id: &str) {
    for on in taken {
        if let Err(err) = state.redis.give_wait_slot(*on, wait_id).await {
            tracing::debug!(error = %err, "a wait's place is left to expire");
        }
    }
}

async fn wait_for_answer(
    state: &AppState,
    login_id: &str,
    poll_hash: &str,
    wait: Duration,
) -> Result<Waited> {
    let deadline = Instant::now() + wait.min(MAX_WAIT);
    loop {
        // Listening before looking, so an answer between the two is not missed.
        let settled = state.logins_settled.notified();
        tokio::pin!(settled);
        settled.as_mut().enable();
        match state.redis.collect_login(login_id, poll_hash).await? {
            Collect::Pending => {}
            Collect::Denied => return Ok(Waited::Denied),
            Collect::Expired => return Ok(Waited::Expired),
            Collect::Forbidden => return Err(Error::Unauthorized),
            Collect::Approved(user_id) => return collect(state, &user_id).await,
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(Waited::Pending);
        }
        tokio::select! {
            _ = settled => {}
            _ = tokio::time::sleep_until(deadline.min(now + RECHECK)) => {}
        }
    }
}

async fn collect(state: &AppState, user_id: &str) -> Result<Waited> {
    let user_id = Uuid::parse_str(user_id).map_err(|_| {
        Error::Internal(anyhow::anyhow!("a login approved for a malformed user id"))
    })?;
    let Some(user) = users::record_login_by_id(&state.db, user_id).await? else {
        // The user's row went away between the tap and the collection.
        return Ok(Waited::Expired);
    };
    meters::telegram_login("collected");
    meters::login("telegram");
    tracing::info!(user_id = %user.id, "one-tap login collected");
    Ok(Waited::Approved(Box::new(user)))
}

/// The API's session for a collected one-tap login.
pub(crate) async fn start_session(state: &AppState, user: UserRecord) -> Result<Login> {
    let tokens = session::start(state, user.id, session::Method::Telegram).await?;
    Ok(Login { user, tokens })
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

    #[test]
    fn browsers_are_summarised() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(browser_of(Some(chrome)), "Chrome, Windows 10");
        // A script says so: worth knowing for someone about to approve it.
        assert_eq!(browser_of(Some("curl/8.0")), "HTTP Library");
        assert_eq!(browser_of(Some("")), "");
        assert_eq!(browser_of(None), "");
    }
}
