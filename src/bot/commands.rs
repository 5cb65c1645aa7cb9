//! One handler per command; each parses, calls the core and answers.

use teloxide::{prelude::*, types::Message};

use super::{
    login,
    private::ask_for_phone,
    schema::{Command, HandlerResult},
    sender::{Sender, sender_id},
};
use crate::{
    core::one_tap,
    core::shops::{self, ChatInfo},
    state::AppState,
    telegram::client::get_code_keyboard,
    texts::{self, Lang},
};

pub(super) async fn on_command(
    bot: Bot,
    msg: Message,
    cmd: Command,
    state: AppState,
    sender: Sender,
) -> HandlerResult {
    let lang = sender.lang;
    match cmd {
        Command::Start(payload) => start(&bot, &msg, &state, &payload, &sender).await,
        Command::Link(token) => link(&bot, &msg, &state, &token, lang).await,
        Command::Unlink => unlink(&bot, &msg, &state, lang).await,
        Command::Help => {
            state
                .telegram
                .reply(bot.send_message(msg.chat.id, texts::help(lang)))
                .await?;
            Ok(())
        }
        Command::Code => code(&bot, &msg, &state, &sender).await,
        Command::Language(choice) => language(&bot, &msg, &state, &choice, lang).await,
        Command::Status => {
            let text = status_text(&state, &msg, &sender).await;
            state
                .telegram
                .reply(bot.send_message(msg.chat.id, text))
                .await?;
            Ok(())
        }
    }
}

/// `/start`: the welcome with the share-phone button; with an owner link's payload,
/// subscribing this chat to the shop; with a login link's, the login's confirmation.
async fn start(
    bot: &Bot,
    msg: &Message,
    state: &AppState,
    payload: &str,
    sender: &Sender,
) -> HandlerResult {
    let lang = sender.lang;
    if !msg.chat.is_private() {
        return Ok(());
    }
    if payload.starts_with(shops::DEEP_LINK_PREFIX) {
        return subscribe_chat(bot, msg, state, payload, lang).await;
    }
    if payload.starts_with(one_tap::DEEP_LINK_PREFIX) {
        return login::on_link(bot, msg, state, payload, sender).await;
    }
    ask_for_phone(bot, state, msg.chat.id, texts::welcome(lang), lang).await?;
    Ok(())
}

/// `/link <token>` in a group (by an admin): subscribes the group to the shop.
async fn link(
    bot: &Bot,
    msg: &Message,
    state: &AppState,
    token: &str,
    lang: Lang,
) -> HandlerResult {
    if !msg.chat.is_private() && !token.trim().is_empty() {
        // The token is a secret: it should not stay in the group for all to read. A bot
        // that may not delete messages leaves it (and the link is used up anyway).
        if let Err(err) = state
            .telegram
            .reply(bot.delete_message(msg.chat.id, msg.id))
            .await
        {
            tracing::info!(error = %err, "could not delete a /link message");
        }
    }
    if token.trim().is_empty() {
        state
            .telegram
            .reply(bot.send_message(msg.chat.id, texts::link_usage(lang)))
            .await?;
    } else if is_chat_admin(bot, msg).await? {
        subscribe_chat(bot, msg, state, token, lang).await?;
    } else {
        state
            .telegram
            .reply(bot.send_message(msg.chat.id, texts::admins_only(lang)))
            .await?;
    }
    Ok(())
}

/// `/unlink` (by an admin): the chat stops hearing about every shop.
async fn unlink(bot: &Bot, msg: &Message, state: &AppState, lang: Lang) -> HandlerResult {
    if !is_chat_admin(bot, msg).await? {
        state
            .telegram
            .reply(bot.send_message(msg.chat.id, texts::admins_only(lang)))
            .await?;
        return Ok(());
    }
    let text = match state.shops.leave_all(msg.chat.id.into()).await {
        Ok(left) => texts::shops_unlinked(lang, &names(&left)),
        Err(err) => {
            tracing::warn!(error = %err, "unlink failed");
            texts::temporarily_unavailable(lang)
        }
    };
    state
        .telegram
        .reply(bot.send_message(msg.chat.id, text))
        .await?;
    Ok(())
}

/// `/code` in a private chat: the "Get login code" button for the linked phone.
async fn code(bot: &Bot, msg: &Message, state: &AppState, sender: &Sender) -> HandlerResult {
    let lang = sender.lang;
    if !msg.chat.is_private() {
        return Ok(());
    }
    match sender.phone() {
        Some(phone) => {
            state
                .telegram
                .reply(
                    bot.send_message(msg.chat.id, texts::code_offer(lang, &phone.masked()))
                        .reply_markup(get_code_keyboard(lang)),
                )
                .await?;
        }
        None => {
            ask_for_phone(bot, state, msg.chat.id, texts::link_first(lang), lang).await?;
        }
    }
    Ok(())
}

/// `/language uz|ru|en`: the language the bot (and the codes) speak to this account.
async fn language(
    bot: &Bot,
    msg: &Message,
    state: &AppState,
    choice: &str,
    lang: Lang,
) -> HandlerResult {
    let choice = choice.trim().to_ascii_lowercase();
    let Some(chosen) = Lang::ALL.into_iter().find(|l| l.code() == choice) else {
        state
            .telegram
            .reply(bot.send_message(msg.chat.id, texts::language_usage(lang)))
            .await?;
        return Ok(());
    };
    if let Some(telegram_id) = sender_id(msg)
        && let Err(err) = state.bindings.set_language(telegram_id, chosen).await
    {
        tracing::warn!(error = %err, "could not store the language");
    }
    state
        .telegram
        .reply(bot.send_message(msg.chat.id, texts::language_set(chosen)))
        .await?;
    Ok(())
}

/// In a private chat: the linked phone, plus the shops the chat hears about (if any). In a
/// group: the shops.
async fn status_text(state: &AppState, msg: &Message, sender: &Sender) -> String {
    let lang = sender.lang;
    let shops = match state.shops.of_chat(msg.chat.id.into()).await {
        Ok(list) => names(&list),
        Err(err) => {
            tracing::warn!(error = %err, "status lookup failed");
            return texts::temporarily_unavailable(lang);
        }
    };
    if !msg.chat.is_private() {
        return texts::status_shops(lang, &shops);
    }
    if sender.unavailable {
        return texts::temporarily_unavailable(lang);
    }
    let phone = match (&sender.account, sender.phone()) {
        (Some(user), Some(phone)) => texts::status_linked(lang, &phone.masked(), user.is_verified),
        _ => texts::status_unlinked(lang),
    };
    if shops.is_empty() {
        phone
    } else {
        format!("{phone}\n\n{}", texts::status_shops(lang, &shops))
    }
}

fn names(shops: &[shops::ShopRecord]) -> Vec<String> {
    shops.iter().map(|s| s.name.clone()).collect()
}

/// Private chats are their own admin; in groups, ask Telegram. An anonymous admin posts as the
/// group itself.
async fn is_chat_admin(bot: &Bot, msg: &Message) -> anyhow::Result<bool> {
    if msg.chat.is_private() {
        return Ok(true);
    }
    if msg
        .sender_chat
        .as_ref()
        .is_some_and(|c| c.id == msg.chat.id)
    {
        return Ok(true);
    }
    let Some(from) = msg.from.as_ref() else {
        return Ok(false);
    };
    let member = bot.get_chat_member(msg.chat.id, from.id).await?;
    Ok(member.is_privileged())
}

/// Subscribes the message's chat to the shop whose token `payload` carries.
async fn subscribe_chat(
    bot: &Bot,
    msg: &Message,
    state: &AppState,
    payload: &str,
    lang: Lang,
) -> HandlerResult {
    let chat = ChatInfo {
        chat_id: msg.chat.id.into(),
        chat_type: chat_type(&msg.chat),
        title: msg.chat.title().map(str::to_string),
        added_by: sender_id(msg),
        language: lang.code(),
    };
    let text = match state.shops.subscribe(payload, chat).await {
        Ok(Some(subscription)) => {
            let shop = &subscription.shop;
            tracing::info!(shop_id = %shop.id, chat_id = msg.chat.id.0, "chat subscribed to a shop");
            tell_other_chats(state, msg, &subscription);
            texts::shop_subscribed(lang, &shop.name)
        }
        Ok(None) => texts::shop_link_invalid(lang),
        Err(err) => {
            tracing::warn!(error = %err, "subscription failed");
            texts::temporarily_unavailable(lang)
        }
    };
    state
        .telegram
        .reply(bot.send_message(msg.chat.id, text))
        .await?;
    Ok(())
}

/// Every chat that already hears about the shop's orders learns that another chat now does too
/// (which chat, and who added it), in its own language: a leaked owner link cannot be used
/// unnoticed.
fn tell_other_chats(state: &AppState, msg: &Message, subscription: &shops::Subscription) {
    let who = msg.from.as_ref().map(|user| match &user.username {
        Some(username) => format!("{} (@{username})", user.full_name()),
        None => format!("{} (id {})", user.full_name(), user.id.0),
    });
    for other in &subscription.others {
        let lang = Lang::from_code(other.language.as_deref(), state.bot.default_language);
        let chat = match msg.chat.title() {
            Some(title) => texts::group_named(lang, title),
            None => texts::private_chat(lang),
        };
        let text = texts::shop_chat_added(
            lang,
            &subscription.shop.name,
            &chat,
            who.as_deref().unwrap_or("?"),
        );
        let telegram = state.telegram.clone();
        let to = crate::domain::ChatId(other.chat_id);
        state.tasks.spawn_job("new-subscriber notice", async move {
            if let Err(err) = telegram.send_text(to, text).await {
                tracing::warn!(chat = %to, error = %err, "could not tell a chat of a new subscriber");
            }
        });
    }
}

fn chat_type(chat: &teloxide::types::Chat) -> &'static str {
    if chat.is_private() {
        "private"
    } else if chat.is_supergroup() {
        "supergroup"
    } else if chat.is_channel() {
        "channel"
    } else {
        "group"
    }
}
