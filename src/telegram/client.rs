//! The one outbound Telegram client: every message otpgram sends (login codes, notices, order
//! messages) goes through here, paced, counted, and its answer read once ([`Answer`]). In
//! development without a token the bot talks to the sandbox's Bot API, through the same code.

use std::{sync::Arc, time::Duration};

use tokio::time::Instant;

use serde::Serialize;
use teloxide::{
    Bot, RequestError,
    payloads::SendMessageSetters,
    prelude::Requester,
    requests::{JsonRequest, Payload, Request},
    types::{InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Me, ParseMode},
};
use tokio::sync::OnceCell;

use crate::{
    domain::{ChatId, TelegramId},
    error::{Error, Result},
    meters,
    telegram::{
        outcome::{self, Answer},
        pacer::Pacer,
    },
    texts::{self, Lang},
};

#[derive(Clone)]
pub(crate) struct TelegramClient {
    bot: Bot,
    /// The process's pacer: codes go out in its priority lane.
    pacer: Arc<Pacer>,
    me: Arc<OnceCell<Me>>,
}

/// Why a login code's message did not arrive.
#[derive(Debug)]
pub(crate) enum Undelivered {
    /// Telegram kept throttling or failing until the code died.
    Expired,
    /// The chat takes no messages from the bot any more (the user blocked it, deleted their
    /// account, …): another channel may still reach them.
    ChatGone(String),
    /// Telegram refused this message for good (a bad request).
    Refused(String),
}

/// The first pause after a 5xx, a timeout or a network error; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long one try at sending a code may take. Telegram answers in well under a second; after
/// a 5xx teloxide waits 10 s before it reports the error, far too long for a customer at the
/// door. A try cut short may still have arrived, and then the customer gets the same code
/// twice: harmless, unlike a code that never comes.
const CODE_TRY_TIMEOUT: Duration = Duration::from_millis(2500);

impl TelegramClient {
    pub(crate) fn new(bot: Bot, pacer: Arc<Pacer>) -> Self {
        Self {
            bot,
            pacer,
            me: Arc::default(),
        }
    }

    /// Remembers the bot's own account without asking Telegram (the sandbox knows it).
    pub(crate) fn know(self, me: Me) -> Self {
        let _ = self.me.set(me);
        self
    }

    pub(crate) fn bot(&self) -> &Bot {
        &self.bot
    }

    /// The bot's own account, asked of Telegram once.
    pub(crate) async fn me(&self) -> Result<Me> {
        self.me
            .get_or_try_init(|| async {
                self.bot.get_me().await.map_err(|e| Error::Unavailable {
                    dependency: "telegram",
                    source: e.into(),
                })
            })
            .await
            .cloned()
    }

    /// The bot's @username.
    pub(crate) async fn bot_username(&self) -> Result<String> {
        Ok(self.me().await?.username.clone().unwrap_or_default())
    }

    /// Whether Telegram answers (a `getMe`).
    pub(crate) async fn reachable(&self) -> anyhow::Result<()> {
        let answer = self.bot.get_me().await;
        meters::telegram_call("getMe", if answer.is_ok() { "ok" } else { "error" });
        answer?;
        Ok(())
    }

    /// Sends a login code to a linked account, and keeps at it while the code lives (until
    /// `expires`): after a 429 it waits as long as Telegram asks, after a 5xx, a timeout or a
    /// network error it backs off (0.5 s, doubling up to 5 s). Every try takes a slot in the
    /// pacer's priority lane, ahead of order notifications.
    pub(crate) async fn deliver_code(
        &self,
        to: TelegramId,
        text: String,
        expires: Instant,
    ) -> Result<(), Undelivered> {
        let bot = &self.bot;
        let mut backoff = FIRST_BACKOFF;
        loop {
            self.pacer.priority_slot().await;
            let message = CodeMessage {
                chat_id: to,
                text: text.clone(),
                parse_mode: ParseMode::Html,
            };
            let sent = tokio::time::timeout(
                CODE_TRY_TIMEOUT,
                JsonRequest::new(bot.clone(), message).send(),
            )
            .await;
            // A try cut short counts as a network error: try again after the backoff.
            let answer = match sent {
                Ok(sent) => Answer::read(sent.map(|_| 0)),
                Err(_) => Answer::Transient("no answer in time".into()),
            };
            meters::telegram_call("sendMessage", answer.label());
            let pause = match answer {
                Answer::Sent(_) => {
                    meters::code_message("delivered");
                    meters::code_channel("bot", "delivered");
                    return Ok(());
                }
                Answer::Throttled(wait) => wait,
                Answer::Transient(_) | Answer::Unknown(_) => {
                    let pause = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    pause
                }
                Answer::ChatGone(reason) => {
                    meters::code_message("given_up");
                    meters::code_channel("bot", "given_up");
                    return Err(Undelivered::ChatGone(reason));
                }
                Answer::Migrated(_) | Answer::Refused(_) => {
                    meters::code_message("given_up");
                    meters::code_channel("bot", "given_up");
                    return Err(Undelivered::Refused(format!("{answer:?}")));
                }
            };
            if Instant::now() + pause >= expires {
                meters::code_message("given_up");
                meters::code_channel("bot", "given_up");
                return Err(Undelivered::Expired);
            }
            meters::code_message("retried");
            tokio::time::sleep(pause).await;
        }
    }

    /// Sends a plain-text notice with the "Get login code" button under it.
    pub(crate) async fn send_with_code_button(
        &self,
        to: TelegramId,
        text: String,
        lang: Lang,
    ) -> anyhow::Result<()> {
        let request = self
            .bot
            .send_message(teloxide::types::ChatId::from(to), text)
            .reply_markup(get_code_keyboard(lang));
        self.reply(request).await?;
        Ok(())
    }

    /// Sends a plain-text notice (in the pacer's priority lane, as every notice).
    pub(crate) async fn send_text(&self, to: ChatId, text: String) -> anyhow::Result<()> {
        self.reply(
            self.bot
                .send_message(teloxide::types::ChatId::from(to), text),
        )
        .await?;
        Ok(())
    }

    /// Makes one call for the bot (a reply, a deleted message, an answered button): in the
    /// pacer's priority lane, counted under its method. The caller reads the error.
    pub(crate) async fn reply<R>(&self, request: R) -> Result<Output<R>, RequestError>
    where
        R: Request<Err = RequestError>,
    {
        self.pacer.priority_slot().await;
        let answer = request.send().await;
        meters::telegram_call(method_label::<R::Payload>(), outcome::label_of(&answer));
        answer
    }

    /// Sends an order message (HTML, no link preview) and reads Telegram's answer; the caller
    /// waits for the chat's turn first.
    pub(crate) async fn send_order(&self, chat: ChatId, text: &str) -> Answer {
        let sent = self
            .bot
            .send_message(teloxide::types::ChatId::from(chat), text)
            .parse_mode(ParseMode::Html)
            .link_preview_options(no_preview())
            .await
            // Only the id is kept: a whole `Message` is kilobytes.
            .map(|message| message.id.0);
        let answer = Answer::read(sent);
        meters::telegram_call("sendMessage", answer.label());
        answer
    }
}

type Output<R> = <<R as teloxide::requests::HasPayload>::Payload as Payload>::Output;

/// The `method` label of a Bot API call, as Telegram names the method.
fn method_label<P: Payload>() -> &'static str {
    match P::NAME {
        "SendMessage" => "sendMessage",
        "EditMessageText" => "editMessageText",
        "DeleteMessage" => "deleteMessage",
        "AnswerCallbackQuery" => "answerCallbackQuery",
        "GetChatMember" => "getChatMember",
        _ => "other",
    }
}

/// Order messages carry links (the order's page), which should not unfurl.
fn no_preview() -> LinkPreviewOptions {
    LinkPreviewOptions {
        is_disabled: true,
        url: None,
        prefer_small_media: false,
        prefer_large_media: false,
        show_above_text: false,
    }
}

/// The data of the inline "Get login code" button (handled by the bot).
pub(crate) const GET_CODE: &str = "login_code";

/// One inline button that asks the bot for a login code.
pub(crate) fn get_code_keyboard(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
        texts::get_code_button(lang),
        GET_CODE,
    )]])
}

/// `sendMessage` for a login code, the one message sent per code request. teloxide's own
/// `SendMessage` parses Telegram's whole `Message` reply (a fifth of the request path's CPU);
/// this payload only needs to know the message went out. Errors and `retry_after` are
/// teloxide's as usual.
#[derive(Serialize)]
struct CodeMessage {
    chat_id: TelegramId,
    text: String,
    parse_mode: ParseMode,
}

impl Payload for CodeMessage {
    type Output = serde::de::IgnoredAny;
    const NAME: &'static str = "SendMessage";
}
