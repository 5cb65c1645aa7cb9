//! Linking a phone to a Telegram account, after the bot has checked the contact is the sender's.

use crate::{
    core::{
        otp::Codes,
        profile::{Linked, Profile, Profiles, Takeover},
        session::Sessions,
    },
    domain::{Binding, Phone, TelegramId, User},
    error::Result,
    store::RedisStore,
    tasks::Tasks,
    telegram::TelegramClient,
    texts::{self, Lang},
};

/// Which Telegram account each phone is linked to, in the database (the truth) and in Redis
/// (the hot copy codes are sent from). Owns its handles: the records, Redis, the Telegram client and
/// the tasks for the notice to an account that lost its phone, the sessions a phone changing
/// hands ends, and the codes waiting for a phone to link.
#[derive(Clone)]
pub(crate) struct Bindings {
    profiles: Profiles,
    redis: RedisStore,
    telegram: TelegramClient,
    tasks: Tasks,
    sessions: Sessions,
    codes: Codes,
    /// The language of the notice to an account that lost its phone.
    default_language: Lang,
}

impl Bindings {
    pub(crate) fn new(
        profiles: Profiles,
        redis: RedisStore,
        telegram: TelegramClient,
        tasks: Tasks,
        sessions: Sessions,
        codes: Codes,
        default_language: Lang,
    ) -> Self {
        Self {
            profiles,
            redis,
            telegram,
            tasks,
            sessions,
            codes,
            default_language,
        }
    }

    /// Links `phone` to `telegram_id` after Telegram proved the contact is the sender's own: a phone
    /// another account had moves here. See [`link_vouched`] for links someone else vouches for.
    pub(crate) async fn link_phone(
        &self,
        phone: &Phone,
        telegram_id: TelegramId,
        profile: Profile,
    ) -> Result<Linked> {
        self.link(phone, telegram_id, profile, Takeover::Allowed)
            .await
    }

    /// Links a pair an older integration's bot vouches for (with `BOT_SECRET`): a free phone, or
    /// one already linked to this account. A phone linked to another account stays there:
    /// `Error::PhoneTaken`, and nothing changes.
    pub(crate) async fn link_vouched(
        &self,
        phone: &Phone,
        telegram_id: TelegramId,
        profile: Profile,
    ) -> Result<Linked> {
        self.link(phone, telegram_id, profile, Takeover::Refused)
            .await
    }

    /// Links `phone` to `telegram_id` in the database (the truth) and in Redis (the hot copy). A
    /// phone that changes hands (it moved here, or this account's previous phone is now unlinked)
    /// loses its live code and every session of the user who held it; an account that lost the
    /// phone is told. Then a code the site asked for while the phone was unlinked is delivered.
    #[tracing::instrument(skip_all, fields(phone = %phone, telegram_id))]
    async fn link(
        &self,
        phone: &Phone,
        telegram_id: TelegramId,
        profile: Profile,
        takeover: Takeover,
    ) -> Result<Linked> {
        let linked = self
            .profiles
            .link(phone, telegram_id, profile, takeover)
            .await?;
        let binding = Binding::new(telegram_id, linked.user.language);
        let previous = linked.previous.as_ref();
        self.redis
            .bind(phone, &binding, previous.map(|user| &user.phone))
            .await?;
        if let Some(previous) = previous {
            tracing::info!(phone = %previous.phone, "the account's previous phone is unlinked");
            self.redis.forget_codes(&previous.phone).await?;
            self.sessions.revoke_all(previous.id).await?;
        }
        if let Some(old_account) = linked.moved_from {
            tracing::info!(%old_account, "phone moved to another Telegram account");
            // A code sent to the previous account must not log anyone in, and whoever held the
            // phone is logged out everywhere.
            self.redis.forget_codes(phone).await?;
            self.sessions.revoke_all(linked.user.id).await?;
            let telegram = self.telegram.clone();
            let notice = texts::moved_away(self.default_language, &phone.masked());
            self.tasks.spawn_job("moved-away notice", async move {
                if let Err(err) = telegram.send_text(old_account.chat(), notice).await {
                    tracing::warn!(error = %err, "could not tell the previous account");
                }
            });
        }
        if self.codes.deliver_pending(phone, &binding).await? {
            tracing::info!("delivered the code requested before linking");
        }
        Ok(linked)
    }

    /// Remembers the language an account chose in the bot, in its row and beside its binding (codes
    /// are sent in that language).
    pub(crate) async fn set_language(&self, telegram_id: TelegramId, language: Lang) -> Result<()> {
        match self.profiles.set_language(telegram_id, language).await? {
            Some(user) => refresh(&self.redis, &user).await,
            None => Ok(()),
        }
    }

    /// Links many phones at once, e.g. when a shop moves its existing customers over from another
    /// integration (and to seed benchmarks). Phones already known keep their row; every binding is
    /// (re)written to Redis. Each pair is trusted as given: check them before importing.
    pub(crate) async fn import(&self, pairs: &[(Phone, TelegramId)]) -> Result<()> {
        for chunk in pairs.chunks(1000) {
            self.profiles.import(chunk).await?;
            let bindings: Vec<Binding> = chunk
                .iter()
                .map(|(_, id)| Binding::new(*id, None))
                .collect();
            let writes = chunk
                .iter()
                .zip(&bindings)
                .map(|((phone, _), binding)| self.redis.bind(phone, binding, None));
            for result in futures_util::future::join_all(writes).await {
                result?;
            }
        }
        Ok(())
    }
}

/// Rewrites the Redis copy of a user's binding from their row (after their language changed).
pub(crate) async fn refresh(redis: &RedisStore, user: &User) -> Result<()> {
    let Some(telegram_id) = user.telegram_id else {
        return Ok(());
    };
    let binding = Binding::new(telegram_id, user.language);
    redis.bind(&user.phone, &binding, None).await
}
