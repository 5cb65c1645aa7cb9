//! Linking a phone to a Telegram account, after the bot has checked the contact is the sender's.

use crate::{
    domain::{Phone, TelegramId},
    error::Result,
    otp,
    state::AppState,
    store::Binding,
    texts,
    users::{self, Linked, Profile},
};

/// Links `phone` to `telegram_id` in the database (the truth) and in Redis (the hot copy), tells
/// an account that lost the phone, and delivers a code the site asked for while it was unlinked.
#[tracing::instrument(skip_all, fields(phone = %phone, telegram_id))]
pub async fn link_phone(
    state: &AppState,
    phone: &Phone,
    telegram_id: TelegramId,
    profile: Profile,
) -> Result<Linked> {
    let linked = users::link(&state.db, phone, telegram_id, profile).await?;
    let binding = Binding::new(telegram_id, linked.user.language.as_deref());
    let previous = linked
        .previous_phone
        .as_deref()
        .and_then(|p| Phone::from_telegram(p).ok());
    state.store.bind(phone, &binding, previous.as_ref()).await?;
    if let Some(old_account) = linked.moved_from {
        tracing::info!(old_account, "phone moved to another Telegram account");
        let courier = state.courier.clone();
        let notice = texts::moved_away(state.config.default_language, &phone.masked());
        tokio::spawn(async move {
            if let Err(err) = courier.send_text(old_account, notice).await {
                tracing::warn!(error = %err, "could not tell the previous account");
            }
        });
    }
    if otp::deliver_pending(state, phone, &binding).await? {
        tracing::info!("delivered the code requested before linking");
    }
    Ok(linked)
}

/// Links many phones at once, e.g. when a shop moves its existing customers over from another
/// integration (and to seed benchmarks). Phones already known keep their row; every binding is
/// (re)written to Redis. Each pair is trusted as given: check them before importing.
pub async fn import(state: &AppState, pairs: &[(Phone, TelegramId)]) -> Result<()> {
    for chunk in pairs.chunks(1000) {
        users::insert_linked(&state.db, chunk).await?;
        let bindings: Vec<Binding> = chunk
            .iter()
            .map(|(_, id)| Binding::new(*id, None))
            .collect();
        let writes = chunk
            .iter()
            .zip(&bindings)
            .map(|((phone, _), binding)| state.store.bind(phone, binding, None));
        for result in futures_util::future::join_all(writes).await {
            result?;
        }
    }
    Ok(())
}
