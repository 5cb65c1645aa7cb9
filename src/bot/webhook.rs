//! Webhook mode: Telegram posts each update to `POST /telegram/webhook` (on any replica);
//! nothing polls. The route checks the secret header and drops repeated updates; this module
//! registers the webhook and runs an update through the handler tree.

use std::{ops::ControlFlow, sync::OnceLock, time::Duration};

use teloxide::{
    Bot,
    dispatching::UpdateHandler,
    dptree,
    payloads::SetWebhookSetters as _,
    prelude::Requester,
    types::{AllowedUpdate, Update},
};
use url::Url;

use super::schema;
use crate::{config::Secret, state::AppState, tasks::Tasks};

/// Tells Telegram where to post updates, retrying until it agrees (or the service stops).
pub(crate) fn register(bot: Bot, url: Url, secret: Secret, tasks: &Tasks) {
    let stop = tasks.signal();
    tasks.spawn(async move {
        let mut delay = Duration::from_secs(1);
        let registered = async {
            loop {
                let answer = bot
                    .set_webhook(url.clone())
                    .secret_token(secret.expose())
                    .allowed_updates([AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
                    .await;
                match answer {
                    Ok(_) => {
                        tracing::info!(%url, "webhook registered");
                        return;
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "could not register the webhook; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(60));
                    }
                }
            }
        };
        tokio::select! {
            _ = registered => {}
            _ = stop.cancelled() => {}
        }
    });
}

fn handlers() -> &'static UpdateHandler<anyhow::Error> {
    static HANDLERS: OnceLock<UpdateHandler<anyhow::Error>> = OnceLock::new();
    HANDLERS.get_or_init(schema)
}

/// Runs one update through the same handlers the poller uses.
pub(crate) async fn handle(state: AppState, bot: Bot, update: Update) {
    let me = match state.telegram.me().await {
        Ok(me) => me,
        Err(err) => {
            tracing::warn!(error = %err, "cannot handle an update without the bot's identity");
            return;
        }
    };
    let outcome = handlers()
        .dispatch(dptree::deps![bot, me, update, state])
        .await;
    if let ControlFlow::Break(Err(err)) = outcome {
        tracing::error!(error = ?err, "bot handler failed");
    }
}
