//! Login codes: issue one for a phone, deliver it through the bot, check and consume it.

use std::time::Duration;

use crate::{
    core::session::{self, TokenPair},
    crypto,
    domain::{Phone, Site, TelegramId},
    error::{Error, Result},
    meters,
    state::AppState,
    store::sql::users::{self, UserRecord},
    store::{Binding, Check, Issue, StoreMode},
    telegram::client::Undelivered,
    telegram::texts::{self, Lang},
};

/// What the site is told after asking for a code (the same whether the phone is linked or not).
#[derive(Debug)]
pub(crate) struct CodeRequested {
    pub expires_in: Duration,
    pub resend_after: Duration,
}

/// A successful verification.
#[derive(Debug)]
pub(crate) struct Login {
    pub user: UserRecord,
    pub tokens: TokenPair,
}

/// Issues a new code for `phone` (replacing any older one) and has the bot send it. An unlinked
/// phone gets the same answer; its request is remembered until it links.
#[tracing::instrument(skip_all, fields(phone = %phone))]
pub(crate) async fn request_code(state: &AppState, phone: &Phone) -> Result<CodeRequested> {
    request_code_living(state, phone, state.otp.ttl, None).await
}

/// As [`request_code`], asked for on the hosted page for `site`: the code message names it.
pub(crate) async fn request_code_for(
    state: &AppState,
    phone: &Phone,
    site: Site,
) -> Result<CodeRequested> {
    request_code_living(state, phone, state.otp.ttl, Some(site)).await
}

/// As [`request_code`], with a code that lives `ttl` (an older integration expects 60 s), for
/// `site` when the hosted page asked.
pub(crate) async fn request_code_living(
    state: &AppState,
    phone: &Phone,
    ttl: Duration,
    site: Option<Site>,
) -> Result<CodeRequested> {
    let policy = &crate::config::OtpPolicy {
        ttl,
        ..state.otp.clone()
    };
    let review_code = state
        .otp
        .test_phones
        .as_ref()
        .and_then(|t| t.code_for(phone));
    if let Some(fixed) = review_code {
        return request_review_code(state, phone, fixed.expose(), policy).await;
    }
    let code = crypto::random_code(policy.length);
    let hash = state.hasher.hash(phone, &code);
    // Linked or not, the answer is made by the same script and nothing else: whatever differs
    // (sending the code, asking the database) happens after the answer, in the background.
    match state.redis.issue_code(phone, &hash, policy).await? {
        Issue::Issued(binding) => dispatch(state, phone, &binding, code, policy.ttl, site),
        Issue::Pending => warm_from_database(state, phone, code, policy.ttl, site),
        Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
    }
    meters::code_issued("site");
    Ok(CodeRequested {
        expires_in: policy.ttl,
        resend_after: policy.resend_cooldown,
    })
}

/// How many database lookups for unlinked phones may run at once (per process). A flood of
/// requests for unlinked phones must not pile up tasks waiting for the pool (measured: 60 →
/// 119 MiB peak RSS in 10 s at 14k requests/s without a bound) nor starve verifies of
/// connections; past the bound a lookup is skipped and the request waits for the phone to link.
static WARM_UPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(16);

/// Redis knew no binding for a phone that asked for a code. It may have lost it (restart,
/// eviction) while the database remembers it: then the binding is warmed again and the code
/// goes out. Otherwise the request waits for the phone to link.
fn warm_from_database(
    state: &AppState,
    phone: &Phone,
    code: String,
    ttl: Duration,
    site: Option<Site>,
) {
    let expires = tokio::time::Instant::now() + ttl;
    let state = state.clone();
    let phone = phone.clone();
    let Ok(permit) = WARM_UPS.try_acquire() else {
        tracing::debug!(phone = %phone, "too many lookups of unlinked phones at once; skipped");
        // The Gateway's own limits (countries, the hourly budget) bound what a flood costs.
        if let Some(gateway) = state.gateway.clone() {
            let hash = state.hasher.hash(&phone, &code);
            state.tasks.spawn_job("gateway send", async move {
                gateway.deliver(&phone, &code, &hash, expires).await
            });
        }
        return;
    };
    state.tasks.clone().spawn_job("code send", async move {
        let _permit = permit;
        let linked = match users::find_by_phone(&state.db, &phone).await {
            Ok(user) => user.and_then(|user| {
                Some(Binding::new(
                    TelegramId(user.telegram_id?),
                    user.language.as_deref(),
                ))
            }),
            Err(err) => {
                tracing::warn!(phone = %phone, error = %err, "could not look up an unlinked phone");
                return;
            }
        };
        let Some(binding) = linked else {
            match &state.gateway {
                Some(gateway) => {
                    let hash = state.hasher.hash(&phone, &code);
                    gateway.deliver(&phone, &code, &hash, expires).await;
                }
                None => tracing::info!(
                    phone = %phone,
                    "code requested for a phone that is not linked yet"
                ),
            }
            return;
        };
        match state
            .redis
            .store_code(&phone, Some(&binding), "", ttl, StoreMode::Warm)
            .await
        {
            Ok(true) => dispatch(&state, &phone, &binding, code, ttl, site),
            // A newer request or a link got there first and sends its own code.
            Ok(false) => {}
            Err(err) => tracing::warn!(phone = %phone, error = %err, "could not warm a binding"),
        }
    });
}

/// A code the phone's owner asked for in Telegram (the bot's button): issued under the owner's
/// own cooldown and hourly cap, never refused because of the site-side lock, and sent to the
/// asking account.
#[tracing::instrument(skip_all, fields(telegram_id = account.telegram_id))]
pub(crate) async fn request_code_in_telegram(
    state: &AppState,
    account: &UserRecord,
) -> Result<CodeRequested> {
    let (Some(telegram_id), Ok(phone)) =
        (account.telegram_id, Phone::from_telegram(&account.phone))
    else {
        return Err(Error::Internal(anyhow::anyhow!(
            "the account has no linked phone"
        )));
    };
    let (phone, binding) = (
        &phone,
        &Binding::new(TelegramId(telegram_id), account.language.as_deref()),
    );
    let policy = &state.otp;
    let code = crypto::random_code(policy.length);
    let hash = state.hasher.hash(phone, &code);
    match state
        .redis
        .issue_telegram_code(phone, binding, &hash, policy)
        .await?
    {
        Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
        Issue::Issued(_) | Issue::Pending => {
            dispatch(state, phone, binding, code, policy.ttl, None)
        }
    }
    meters::code_issued("telegram");
    Ok(CodeRequested {
        expires_in: policy.ttl,
        resend_after: policy.resend_cooldown,
    })
}

fn limited(retry_after: Duration, limit: &'static str) -> Error {
    meters::rate_limited(limit);
    Error::RateLimited { retry_after }
}

/// A review number (`TEST_PHONES`): the same limits, its fixed code, no Telegram message.
async fn request_review_code(
    state: &AppState,
    phone: &Phone,
    fixed: &str,
    policy: &crate::config::OtpPolicy,
) -> Result<CodeRequested> {
    let hash = state.hasher.hash(phone, fixed);
    match state.redis.issue_code(phone, &hash, policy).await? {
        Issue::Limited { retry_after, limit } => return Err(limited(retry_after, limit)),
        // Linked or not, the fixed code is what verifies.
        Issue::Issued(_) | Issue::Pending => {
            state
                .redis
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
pub(crate) async fn create_code_for_bot(
    state: &AppState,
    phone: &Phone,
) -> Result<(String, Duration)> {
    let policy = &state.otp;
    let code = crypto::random_code(policy.length);
    let hash = state.hasher.hash(phone, &code);
    if let Some((retry_after, limit)) = state
        .redis
        .issue_bot_code(phone, &hash, policy.ttl, state.legacy.bot_codes_per_minute)
        .await?
    {
        return Err(limited(retry_after, limit));
    }
    meters::code_issued("returned");
    Ok((code, policy.ttl))
}

/// Called when a phone links: if the site asked for a code while it was unlinked, send one now.
pub(crate) async fn deliver_pending(
    state: &AppState,
    phone: &Phone,
    binding: &Binding,
) -> Result<bool> {
    let policy = &state.otp;
    let code = crypto::random_code(policy.length);
    let hash = state.hasher.hash(phone, &code);
    let stored = state
        .redis
        .store_code(
            phone,
            Some(binding),
            &hash,
            policy.ttl,
            StoreMode::IfPending,
        )
        .await?;
    if stored {
        dispatch(state, phone, binding, code, policy.ttl, None);
    }
    Ok(stored)
}

/// Sends the code in the background, in the account's language: the site's answer must not
/// wait for (or reveal) Telegram. The message is tried again while the code lives; if the chat
/// takes no messages from the bot any more (the customer blocked it), the code goes through the
/// Gateway instead, once.
fn dispatch(
    state: &AppState,
    phone: &Phone,
    binding: &Binding,
    code: String,
    ttl: Duration,
    site: Option<Site>,
) {
    let telegram = state.telegram.clone();
    let telegram_id = binding.telegram_id;
    let lang = Lang::from_code(binding.language.as_deref(), state.bot.default_language);
    let text = match &site {
        Some(site) => texts::login_code_for(lang, &code, ttl, site),
        None => texts::login_code(lang, &code, ttl, state.bot.site_login_url.as_deref()),
    };
    let phone = phone.clone();
    let expires = tokio::time::Instant::now() + ttl;
    let gateway = state
        .gateway
        .clone()
        .map(|gateway| (gateway, state.hasher.hash(&phone, &code)));
    meters::code_channel("bot", "issued");
    state.tasks.spawn_job("code send", async move {
        if let Some((gateway, _)) = &gateway {
            gateway.retire(&phone).await;
        }
        match telegram.deliver_code(telegram_id, text, expires).await {
            Ok(()) => {}
            Err(Undelivered::Expired) => tracing::warn!(
                phone = %phone,
                "a login code could not be delivered before it expired"
            ),
            Err(Undelivered::ChatGone(reason)) => {
                tracing::warn!(phone = %phone, reason, "the bot cannot reach a linked phone");
                if let Some((gateway, hash)) = &gateway {
                    gateway.deliver(&phone, &code, hash, expires).await;
                }
            }
            Err(Undelivered::Refused(reason)) => tracing::warn!(
                phone = %phone,
                reason,
                "Telegram refused a login code's message"
            ),
        }
    });
}

pub(crate) async fn verify_code(state: &AppState, phone: &Phone, code: &str) -> Result<Login> {
    let user = consume_code(state, phone, code).await?;
    let tokens = session::start(state, user.id, session::Method::Otp).await?;
    Ok(Login { user, tokens })
}

/// Checks `code` for `phone` and consumes it; the user is then verified and logged in (no
/// session: see [`verify_code`]).
#[tracing::instrument(skip_all, fields(phone = %phone))]
pub(crate) async fn consume_code(
    state: &AppState,
    phone: &Phone,
    code: &str,
) -> Result<UserRecord> {
    let policy = &state.otp;
    let well_formed =
        code.len() == policy.length as usize && code.bytes().all(|b| b.is_ascii_digit());
    if !well_formed {
        meters::code_rejected("invalid");
        return Err(Error::InvalidCode);
    }
    let hash = state.hasher.hash(phone, code);
    match state.redis.verify_code(phone, &hash, policy).await? {
        Check::Valid => {
            meters::code_verified();
            meters::login("code");
            match &state.gateway {
                Some(gateway) => gateway.verified(phone.clone(), code.to_string(), hash),
                None => meters::code_channel("bot", "verified"),
            }
        }
        Check::Invalid { locked_now } => {
            meters::code_rejected("invalid");
            if locked_now {
                tell_owner_of_lock(state, phone);
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
    let user = match users::record_login(&state.db, phone).await? {
        Some(user) => user,
        None => {
            let telegram_id = state.redis.binding(phone).await?.map(|b| b.telegram_id);
            users::create_logged_in(&state.db, phone, telegram_id).await?
        }
    };
    tracing::info!(user_id = %user.id, "login verified");
    Ok(user)
}

/// Wrong guesses on the site have just locked `phone`'s codes: its owner (if it has one) hears
/// of it once per lock, in their language, with the button that still gets them in. In the
/// background, so that the answer to the guess looks like every other wrong guess.
fn tell_owner_of_lock(state: &AppState, phone: &Phone) {
    let state = state.clone();
    let phone = phone.clone();
    state.tasks.clone().spawn_job("lock notice", async move {
        let owner = match users::find_by_phone(&state.db, &phone).await {
            Ok(user) => user.and_then(|u| Some((TelegramId(u.telegram_id?), u.language))),
            Err(err) => {
                tracing::warn!(phone = %phone, error = %err, "could not look up a locked phone");
                return;
            }
        };
        let Some((telegram_id, language)) = owner else {
            return;
        };
        tracing::info!(phone = %phone, "phone locked by wrong guesses; telling its owner");
        let lang = Lang::from_code(language.as_deref(), state.bot.default_language);
        let notice = crate::telegram::texts::phone_locked(lang, &phone.masked());
        if let Err(err) = state
            .telegram
            .send_with_code_button(telegram_id, notice, lang)
            .await
        {
            tracing::warn!(error = %err, "could not tell the owner of a locked phone");
        }
    });
}
