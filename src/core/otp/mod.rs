//! Login codes: issue one for a phone, check and consume it; `delivery` sends it (the bot, or
//! the Gateway) after the answer.

mod delivery;

use std::time::Duration;

use crate::{
    config::OtpPolicy,
    core::{
        gateway::Gateway,
        profile::Profiles,
        session::{self, Sessions, TokenPair},
    },
    crypto::{self, CodeHasher},
    domain::{Binding, Lang, Phone, Site, User},
    error::{Error, Result},
    meters,
    store::{Check, Issue, RedisStore, StoreMode},
    tasks::Tasks,
    telegram::TelegramClient,
};

/// Login codes: issuing, checking, delivering. Owns its handles (one `Arc`: a send in the
/// background takes a clone): the code policy, the keyed hash, Redis, the records (warming a
/// lost binding, recording the login), the Telegram client and the Gateway (the two channels),
/// the sessions a verify opens, and the tasks its sends run on.
pub(crate) type Codes = crate::core::Component<Handles>;

pub(crate) struct Handles {
    pub policy: OtpPolicy,
    /// Codes an older integration's own bot may ask for per account and minute.
    pub bot_codes_per_minute: u32,
    pub hasher: CodeHasher,
    pub redis: RedisStore,
    pub profiles: Profiles,
    pub telegram: TelegramClient,
    pub gateway: Option<Gateway>,
    pub sessions: Sessions,
    pub tasks: Tasks,
    /// The language of a code message to an account that chose none.
    pub default_language: Lang,
    /// The site's login page, named in a code message no site asked for.
    pub site_login_url: Option<String>,
}

/// What the site is told after asking for a code (the same whether the phone is linked or not).
#[derive(Debug)]
pub(crate) struct CodeRequested {
    pub expires_in: Duration,
    pub resend_after: Duration,
}

/// A successful verification.
#[derive(Debug)]
pub(crate) struct Login {
    pub user: User,
    pub tokens: TokenPair,
}

impl Codes {
    /// Issues a new code for `phone` (replacing any older one) and has the bot send it. An unlinked
    /// phone gets the same answer; its request is remembered until it links.
    #[tracing::instrument(skip_all, fields(phone = %phone))]
    pub(crate) async fn request_code(&self, phone: &Phone) -> Result<CodeRequested> {
        self.request_code_living(phone, self.policy.ttl, None).await
    }

    /// As [`request_code`], asked for on the hosted page for `site`: the code message names it.
    pub(crate) async fn request_code_for(
        &self,
        phone: &Phone,
        site: Site,
    ) -> Result<CodeRequested> {
        self.request_code_living(phone, self.policy.ttl, Some(site))
            .await
    }

    /// As [`request_code`], with a code that lives `ttl` (an older integration expects 60 s), for
    /// `site` when the hosted page asked.
    pub(crate) async fn request_code_living(
        &self,
        phone: &Phone,
        ttl: Duration,
        site: Option<Site>,
    ) -> Result<CodeRequested> {
        let policy = &crate::config::OtpPolicy {
            ttl,
            ..self.policy.clone()
        };
        let review_code = self
            .policy
            .test_phones
            .as_ref()
            .and_then(|t| t.code_for(phone));
        if let Some(fixed) = review_code {
            return self
                .request_review_code(phone, fixed.expose(), policy)
                .await;
        }
        let code = crypto::random_code(policy.length);
        let hash = self.hasher.hash(phone, &code);
        // Linked or not, the answer is made by the same script and nothing else: whatever differs
        // (sending the code, asking the database) happens after the answer, in the background.
        match self.redis.issue_code(phone, &hash, policy).await? {
            Issue::Issued(binding) => self.dispatch(phone, &binding, code, policy.ttl, site),
            Issue::Pending => self.warm_from_database(phone, code, policy.ttl, site),
            Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
        }
        meters::code_issued("site");
        Ok(CodeRequested {
            expires_in: policy.ttl,
            resend_after: policy.resend_cooldown,
        })
    }

    /// A code the phone's owner asked for in Telegram (the bot's button): issued under the owner's
    /// own cooldown and hourly cap, never refused because of the site-side lock, and sent to the
    /// asking account.
    #[tracing::instrument(skip_all, fields(telegram_id = account.telegram_id.map(|id| id.0)))]
    pub(crate) async fn request_code_in_telegram(&self, account: &User) -> Result<CodeRequested> {
        let Some(telegram_id) = account.telegram_id else {
            return Err(Error::Internal(anyhow::anyhow!(
                "the account has no linked phone"
            )));
        };
        let (phone, binding) = (&account.phone, &Binding::new(telegram_id, account.language));
        let policy = &self.policy;
        let code = crypto::random_code(policy.length);
        let hash = self.hasher.hash(phone, &code);
        match self
            .redis
            .issue_telegram_code(phone, binding, &hash, policy)
            .await?
        {
            Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
            Issue::Issued(_) | Issue::Pending => {
                self.dispatch(phone, binding, code, policy.ttl, None)
            }
        }
        meters::code_issued("telegram");
        Ok(CodeRequested {
            expires_in: policy.ttl,
            resend_after: policy.resend_cooldown,
        })
    }

    /// A review number (`TEST_PHONES`): the same limits, its fixed code, no Telegram message.
    async fn request_review_code(
        &self,
        phone: &Phone,
        fixed: &str,
        policy: &crate::config::OtpPolicy,
    ) -> Result<CodeRequested> {
        let hash = self.hasher.hash(phone, fixed);
        match self.redis.issue_code(phone, &hash, policy).await? {
            Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
            // Linked or not, the fixed code is what verifies.
            Issue::Issued(_) | Issue::Pending => {
                self.redis
                    .store_code(phone, None, &hash, policy.ttl, StoreMode::Always)
                    .await?;
                meters::code_issued("review");
            }
        }
        tracing::info!("review number: fixed code armed, no message sent");
        Ok(CodeRequested {
            expires_in: policy.ttl,
            resend_after: policy.resend_cooldown,
        })
    }

    /// For an integration whose own bot delivers codes: issues a code for a phone the bot just
    /// linked (older codes die) and returns it instead of sending it. The secret proves the caller
    /// and the chat the account, so it follows the in-Telegram limits: no site-side cooldown or lock,
    /// a new code on each call, up to `LEGACY_BOT_CODES_PER_MINUTE` a minute per account (the shop's
    /// bot has a "New code" button). Only reachable behind `BOT_SECRET`.
    pub(crate) async fn create_code_for_bot(&self, phone: &Phone) -> Result<(String, Duration)> {
        let policy = &self.policy;
        let code = crypto::random_code(policy.length);
        let hash = self.hasher.hash(phone, &code);
        if let Some((retry_after, limit)) = self
            .redis
            .issue_bot_code(phone, &hash, policy.ttl, self.bot_codes_per_minute)
            .await?
        {
            return Err(limited(retry_after, limit));
        }
        meters::code_issued("returned");
        Ok((code, policy.ttl))
    }

    pub(crate) async fn verify_code(&self, phone: &Phone, code: &str) -> Result<Login> {
        let user = self.consume_code(phone, code).await?;
        let tokens = self.sessions.start(user.id, session::Method::Otp).await?;
        Ok(Login { user, tokens })
    }

    /// Checks `code` for `phone` and consumes it; the user is then verified and logged in (no
    /// session: see [`verify_code`]).
    #[tracing::instrument(skip_all, fields(phone = %phone))]
    pub(crate) async fn consume_code(&self, phone: &Phone, code: &str) -> Result<User> {
        let policy = &self.policy;
        let well_formed =
            code.len() == policy.length as usize && code.bytes().all(|b| b.is_ascii_digit());
        if !well_formed {
            meters::code_rejected("invalid");
            return Err(Error::InvalidCode);
        }
        let hash = self.hasher.hash(phone, code);
        match self.redis.verify_code(phone, &hash, policy).await? {
            Check::Valid => {
                meters::code_verified();
                meters::login("code");
                match &self.gateway {
                    Some(gateway) => gateway.verified(phone.clone(), code.to_string(), hash),
                    None => meters::code_channel("bot", "verified"),
                }
            }
            Check::Invalid { locked_now } => {
                meters::code_rejected("invalid");
                if locked_now {
                    self.tell_owner_of_lock(phone);
                }
                return Err(Error::InvalidCode);
            }
            Check::TooManyAttempts(retry_after) => {
                meters::code_rejected("too_many_attempts");
                return Err(Error::TooManyAttempts {
                    retry_after: Some(retry_after),
                });
            }
        }
        let user = self
            .profiles
            .logged_in(phone, async || {
                Ok(self.redis.binding(phone).await?.map(|b| b.telegram_id))
            })
            .await?;
        tracing::info!(user_id = %user.id, "login verified");
        Ok(user)
    }
}

fn limited(retry_after: Duration, limit: &'static str) -> Error {
    meters::rate_limited(limit);
    Error::RateLimited { retry_after }
}
