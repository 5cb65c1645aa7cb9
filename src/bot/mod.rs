//! The Telegram bot: a dptree handler tree over the same core as the HTTP API.

mod handlers;

use std::time::Duration;

use teloxide::{
    Bot,
    dispatching::{Dispatcher, ShutdownToken},
    dptree,
    error_handlers::LoggingErrorHandler,
    update_listeners::Polling,
};
use tokio::task::JoinHandle;

pub use handlers::{Command, schema};

use crate::state::AppState;

/// The running bot; [`BotTask::stop`] lets the update in hand finish, then stops polling.
pub struct BotTask {
    shutdown: ShutdownToken,
    handle: JoinHandle<()>,
}

impl BotTask {
    pub async fn stop(self) {
        match self.shutdown.shutdown() {
            Ok(stopped) => {
                stopped.await;
                let _ = self.handle.await;
            }
            // Not dispatching (still waiting for Telegram to answer getMe): nothing to drain.
            Err(_) => self.handle.abort(),
        }
    }
}

/// Starts long polling in the background.
pub fn start(bot: Bot, state: AppState) -> BotTask {
    let poll_timeout = state.config.telegram_poll_timeout;
    let mut dispatcher = Dispatcher::builder(bot.clone(), schema())
        .dependencies(dptree::deps![state])
        .default_handler(|_| async {})
        .error_handler(LoggingErrorHandler::with_custom_text("bot handler failed"))
        .build();
    let shutdown = dispatcher.shutdown_token();
    let handle = tokio::spawn(async move {
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
    BotTask { shutdown, handle }
}
