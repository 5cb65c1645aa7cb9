//! One-tap login in Telegram, the second way in beside a typed code (same users, sessions and
//! limits):
//! 1. the site [starts](OneTap::start) a login and shows its link (a QR code on a desktop);
//! 2. the customer opens it in Telegram: the bot [opens](OneTap::open) it (first asking for
//!    the phone if the account has none linked) and asks `"Log in to … from <browser>?"`;
//! 3. **Log in** or **Not me** [settles](OneTap::settle) it, once;
//! 4. the browser, [waiting](OneTap::wait) with a poll token only it holds, collects the
//!    session, once.
//!
//! The link carries the login's id and a nonce derived from the poll token, so whoever holds the
//! poll token can show the link again (its QR code) and the link alone collects nothing. Redis
//! keeps keyed hashes of both, never the values. Every replica can answer any step: the state
//! is in Redis, and a browser waiting on another replica than the bot's sees an approval within
//! [`RECHECK`].

use std::time::Duration;

use chrono::Utc;
use rand::{Rng, seq::SliceRandom};

use crate::{
    core::{otp::Login, session},
    crypto::{constant_time_eq, random_token},
    domain::{Asking, Site, User},
    error::{Error, Result},
    meters,
};

mod answer;
mod wait;

/// One-tap logins: starting them for a browser, opening and answering them in the bot, the
/// browser's wait. Owns its handles (one `Arc`): Redis (the state), the keyed hash (nonces,
/// poll tokens), the Telegram client (the bot's username in links), the records (the login
/// recorded on collection), the sessions a collected login opens, a link's lifetime, and the
/// wake-up of browsers waiting here when this replica answers a login.
pub(crate) type OneTap = crate::core::Component<Handles>;

pub(crate) struct Handles {
    pub redis: crate::store::RedisStore,
    pub hasher: crate::crypto::CodeHasher,
    pub telegram: crate::telegram::TelegramClient,
    pub profiles: crate::core::profile::Profiles,
    pub sessions: crate::core::session::Sessions,
    pub link_ttl: Duration,
    /// Woken when this replica answers a login, so browsers waiting here look at once.
    pub settled: tokio::sync::Notify,
}

pub(crate) use answer::*;
pub(crate) use wait::*;

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

impl OneTap {
    /// Begins a login for the browser that sent `user_agent`, on `site`'s behalf (without one the
    /// confirmation names `SITE_NAME`).
    pub(crate) async fn start(
        &self,
        user_agent: Option<&str>,
        site: Option<Site>,
    ) -> Result<Started> {
        let login_id = random_token(ID_LEN);
        let poll_token = random_token(POLL_TOKEN_LEN);
        let nonce = self.nonce_of(&poll_token);
        let link = self.link(&login_id, &nonce).await?;
        let (site, origin) = site.map_or_else(Default::default, |s| (s.name, s.origin));
        let number = rand::rng().random_range(NUMBERS);
        let asking = Asking {
            browser: browser_of(user_agent),
            created: Utc::now().timestamp(),
            site,
            origin,
            number: Some(number),
        };
        let ttl = self.link_ttl;
        self.redis
            .start_login(
                &login_id,
                &self.hasher.secret("login nonce", &nonce),
                &self.poll_hash(&poll_token),
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
    pub(crate) async fn link_for(&self, login_id: &str, poll_token: &str) -> Result<String> {
        let stored = self
            .redis
            .login_poll_hash(login_id)
            .await?
            .ok_or(Error::LoginNotFound)?;
        if !constant_time_eq(stored.as_bytes(), self.poll_hash(poll_token).as_bytes()) {
            return Err(Error::Unauthorized);
        }
        self.link(login_id, &self.nonce_of(poll_token)).await
    }
    async fn link(&self, login_id: &str, nonce: &str) -> Result<String> {
        let bot = self.telegram.bot_username().await?;
        Ok(format!(
            "https://t.me/{bot}?start={DEEP_LINK_PREFIX}{login_id}_{nonce}"
        ))
    }
    /// The link's nonce: a keyed hash of the poll token, so the link can be drawn again by the
    /// browser and by nobody else.
    fn nonce_of(&self, poll_token: &str) -> String {
        let mut nonce = self.hasher.secret("login link", poll_token);
        nonce.truncate(NONCE_LEN);
        nonce
    }
    fn poll_hash(&self, poll_token: &str) -> String {
        self.hasher.secret("login poll", poll_token)
    }
    /// The API's session for a collected one-tap login.
    pub(crate) async fn start_session(&self, user: User) -> Result<Login> {
        let tokens = self
            .sessions
            .start(user.id, session::Method::Telegram)
            .await?;
        Ok(Login { user, tokens })
    }
}

/// The login's link as an SVG QR code, for a customer on a computer to scan with their phone.
pub(crate) fn qr_svg(link: &str) -> Result<String> {
    let code = qrcode::QrCode::new(link.as_bytes())
        .map_err(|err| Error::Internal(anyhow::anyhow!("drawing a QR code: {err}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
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

#[cfg(test)]
mod tests {
    use super::*;

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
