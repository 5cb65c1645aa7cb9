//! The Telegram bot: a dptree handler tree over the same core as the HTTP API.
//!
//! Several replicas may run; only one long-polls Telegram (two would fight over `getUpdates`).
//! Each instance tries to hold a lease in Redis; the holder polls and renews it, the others
//! wait. When the holder dies its lease runs out and another instance takes over within
//! `LEASE_TTL` + `RETRY_EVERY`.

mod commands;
mod login;
mod private;
mod schema;
mod sender;
pub(crate) mod webhook;

use std::time::Duration;

use teloxide::{
    Bot,
    dispatching::{Dispatcher, ShutdownToken},
    dptree,
    error_handlers::LoggingErrorHandler,
    update_listeners::Polling,
};
use tokio::{task::JoinHandle, time::Instant};
use tokio_util::sync::CancellationToken;

pub(crate) use schema::schema;

use crate::{core::replicas::PollerLease, state::AppState};

const LEASE_TTL: Duration = Duration::from_secs(8);
const RENEW_EVERY: Duration = Duration::from_secs(2);
const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Starts the poller among the service's tasks; when they stop, it lets the update in hand
/// finish, stops polling and hands the lease on.
pub(crate) fn start(bot: Bot, state: AppState) {
    let stop = state.tasks.signal();
    state.tasks.clone().spawn(lead(bot, state, stop));
}

/// Waits for the lease, polls while holding it, and starts over if it is lost.
async fn lead(bot: Bot, state: AppState, stopped: CancellationToken) {
    let lease = PollerLease::new(&state.redis);
    loop {
        // Wait to become the poller.
        loop {
            if stopped.is_cancelled() {
                return;
            }
            match lease.try_take(LEASE_TTL).await {
                Ok(true) => break,
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "cannot reach Redis for the poller lease"),
            }
            tokio::select! {
                _ = tokio::time::sleep(RETRY_EVERY) => {}
                _ = stopped.cancelled() => return,
            }
        }
        tracing::info!("this instance polls Telegram");
        let (shutdown, mut polling) = poll(bot.clone(), state.clone());

        // Hold the lease while polling.
        let mut renewed = Instant::now();
        let mut ended = false;
        let lost = loop {
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {
                    match lease.renew(LEASE_TTL).await {
                        Ok(true) => renewed = Instant::now(),
                        Ok(false) => break true,
                        Err(err) => {
                            tracing::warn!(error = %err, "could not renew the poller lease");
                            if renewed.elapsed() >= LEASE_TTL {
                                break true;
                            }
                        }
                    }
                }
                _ = stopped.cancelled() => break false,
                _ = &mut polling => {
                    ended = true;
                    break true;
                }
            }
        };
        if !ended {
            match shutdown.shutdown() {
                Ok(done) => done.await,
                Err(_) => polling.abort(),
            }
            let _ = polling.await;
        }
        if !lost {
            lease.release().await;
            return;
        }
        tracing::warn!("this instance no longer polls Telegram");
    }
}

/// A chat's messages are handled one after another, in order (a contact after `/start`); button
/// presses are handled as they come, so that presses hammered while an answer waits are
/// dropped at once instead of queueing behind it.
fn one_chat_at_a_time(update: &teloxide::types::Update) -> Option<i64> {
    match update.kind {
        teloxide::types::UpdateKind::CallbackQuery(_) => None,
        _ => update.chat().map(|chat| chat.id.0),
    }
}

/// Starts long polling; retries while Telegram does not answer `getMe`.
fn poll(bot: Bot, state: AppState) -> (ShutdownToken, JoinHandle<()>) {
    let poll_timeout = state.bot.poll_timeout;
    let tasks = state.tasks.clone();
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![state])
        .distribution_function(one_chat_at_a_time)
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("bot handler failed"))
        .build();
    let shutdown = dispatcher.shutdown_token();
    let handle = tasks.spawn_awaited(async move {
        let mut delay = Duration::from_secs(1);
        loop {
            let listener = Polling::builder(bot.clone())
                .timeout(poll_timeout)
                .delete_webhook()
                .await
                .build();
            let errors = LoggingErrorHandler::with_custom_text("getUpdates failed");
            match dispatcher
                .try_dispatch_with_listener(listener, errors)
                .await
            {
                Ok(()) => break,
                Err(err) => {
                    // getMe failed: Telegram unreachable or the token is wrong. Keep trying.
                    tracing::error!(error = %err, "the bot cannot reach Telegram; retrying");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(60));
                }
            }
        }
    });
    (shutdown, handle)
}
