//! Getting a code to its phone, after the answer: the bot for a linked phone (the Gateway when
//! the bot cannot reach it), the Gateway for one Redis knows no binding of, and the owner's
//! notice when wrong guesses lock the phone.

use std::time::Duration;

use super::Codes;
use crate::{
    crypto,
    domain::{Binding, Phone, Site},
    error::Result,
    meters,
    store::StoreMode,
    telegram::client::Undelivered,
    texts::{self},
};

/// How many database lookups for unlinked phones may run at once (per process). A flood of
/// requests for unlinked phones must not pile up tasks waiting for the pool (measured: 60 →
/// 119 MiB peak RSS in 10 s at 14k requests/s without a bound) nor starve verifies of
/// connections; past the bound a lookup is skipped and the request waits for the phone to link.
static WARM_UPS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(16);

impl Codes {
    /// Redis knew no binding for a phone that asked for a code. It may have lost it (restart,
    /// eviction) while the database remembers it: then the binding is warmed again and the code
    /// goes out. Otherwise the request waits for the phone to link.
    pub(super) fn warm_from_database(
        &self,
        phone: &Phone,
        code: String,
        ttl: Duration,
        site: Option<Site>,
    ) {
        let expires = tokio::time::Instant::now() + ttl;
        let codes = self.clone();
        let phone = phone.clone();
        let Ok(permit) = WARM_UPS.try_acquire() else {
            tracing::debug!(phone = %phone, "too many lookups of unlinked phones at once; skipped");
            // The Gateway's own limits (countries, the hourly budget) bound what a flood costs.
            if let Some(gateway) = codes.gateway.clone() {
                let hash = codes.hasher.hash(&phone, &code);
                codes.tasks.spawn_job("gateway send", async move {
                    gateway.deliver(&phone, &code, &hash, expires).await
                });
            }
            return;
        };
        codes.tasks.clone().spawn_job("code send", async move {
            let _permit = permit;
            let linked = match codes.profiles.of_phone(&phone).await {
                Ok(user) => user.and_then(|user| Some(Binding::new(user.telegram_id?, user.language))),
                Err(err) => {
                    tracing::warn!(phone = %phone, error = %err, "could not look up an unlinked phone");
                    return;
                }
            };
            let Some(binding) = linked else {
                match &codes.gateway {
                    Some(gateway) => {
                        let hash = codes.hasher.hash(&phone, &code);
                        gateway.deliver(&phone, &code, &hash, expires).await;
                    }
                    None => tracing::info!(
                        phone = %phone,
                        "code requested for a phone that is not linked yet"
                    ),
                }
                return;
            };
            match codes
                .redis
                .store_code(&phone, Some(&binding), "", ttl, StoreMode::Warm)
                .await
            {
                Ok(true) => codes.dispatch(&phone, &binding, code, ttl, site),
                // A newer request or a link got there first and sends its own code.
                Ok(false) => {}
                Err(err) => tracing::warn!(phone = %phone, error = %err, "could not warm a binding"),
            }
        });
    }

    /// Called when a phone links: if the site asked for a code while it was unlinked, send one now.
    pub(crate) async fn deliver_pending(&self, phone: &Phone, binding: &Binding) -> Result<bool> {
        let policy = &self.policy;
        let code = crypto::random_code(policy.length);
        let hash = self.hasher.hash(phone, &code);
        let stored = self
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
            self.dispatch(phone, binding, code, policy.ttl, None);
        }
        Ok(stored)
    }

    /// Sends the code in the background, in the account's language: the site's answer must not
    /// wait for (or reveal) Telegram. The message is tried again while the code lives; if the chat
    /// takes no messages from the bot any more (the customer blocked it), the code goes through the
    /// Gateway instead, once.
    pub(super) fn dispatch(
        &self,
        phone: &Phone,
        binding: &Binding,
        code: String,
        ttl: Duration,
        site: Option<Site>,
    ) {
        let telegram = self.telegram.clone();
        let telegram_id = binding.telegram_id;
        let lang = binding.language.unwrap_or(self.default_language);
        let text = match &site {
            Some(site) => texts::login_code_for(lang, &code, ttl, site),
            None => texts::login_code(lang, &code, ttl, self.site_login_url.as_deref()),
        };
        let phone = phone.clone();
        let expires = tokio::time::Instant::now() + ttl;
        let gateway = self
            .gateway
            .clone()
            .map(|gateway| (gateway, self.hasher.hash(&phone, &code)));
        meters::code_channel("bot", "issued");
        self.tasks.spawn_job("code send", async move {
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

    /// Wrong guesses on the site have just locked `phone`'s codes: its owner (if it has one) hears
    /// of it once per lock, in their language, with the button that still gets them in. In the
    /// background, so that the answer to the guess looks like every other wrong guess.
    pub(super) fn tell_owner_of_lock(&self, phone: &Phone) {
        let codes = self.clone();
        let phone = phone.clone();
        codes.tasks.clone().spawn_job("lock notice", async move {
            let owner = match codes.profiles.of_phone(&phone).await {
                Ok(user) => user.and_then(|u| Some((u.telegram_id?, u.language))),
                Err(err) => {
                    tracing::warn!(phone = %phone, error = %err, "could not look up a locked phone");
                    return;
                }
            };
            let Some((telegram_id, language)) = owner else {
                return;
            };
            tracing::info!(phone = %phone, "phone locked by wrong guesses; telling its owner");
            let lang = language.unwrap_or(codes.default_language);
            let notice = crate::texts::phone_locked(lang, &phone.masked());
            if let Err(err) = codes
                .telegram
                .send_with_code_button(telegram_id, notice, lang)
                .await
            {
                tracing::warn!(error = %err, "could not tell the owner of a locked phone");
            }
        });
    }
}
