//! Private-chat messages that are not commands, and the inline buttons: linking a phone by
//! sharing one's own contact, and asking for a login code.

use teloxide::{
    prelude::*,
    types::{
        ButtonRequest, CallbackQuery, ChatId, KeyboardButton, KeyboardMarkup, KeyboardRemove,
        Message,
    },
};

use super::{login, schema::HandlerResult, sender::Sender};
use crate::{
    core::profile::Profile,
    domain::{Phone, TelegramId},
    state::AppState,
    telegram::client::{GET_CODE, get_code_keyboard},
    texts::{self, Lang},
};

/// Says `text` with the "Share phone number" button under it.
pub(super) async fn ask_for_phone(
    bot: &Bot,
    state: &AppState,
    chat: ChatId,
    text: String,
    lang: Lang,
) -> HandlerResult {
    let ask = bot
        .send_message(chat, text)
        .reply_markup(share_phone_keyboard(lang));
    state.telegram.reply(ask).await?;
    Ok(())
}

fn share_phone_keyboard(lang: Lang) -> KeyboardMarkup {
    KeyboardMarkup::new(vec![vec![
        KeyboardButton::new(texts::share_phone_button(lang)).request(ButtonRequest::Contact),
    ]])
    .resize_keyboard()
    .one_time_keyboard()
}

/// A shared contact: accepted only when it is the sender's own.
pub(super) async fn on_contact(
    bot: Bot,
    msg: Message,
    state: AppState,
    sender: Sender,
) -> HandlerResult {
    let lang = sender.lang;
    if !msg.chat.is_private() {
        return Ok(());
    }
    let (Some(contact), Some(from)) = (msg.contact(), msg.from.as_ref()) else {
        return Ok(());
    };
    if contact.user_id != Some(from.id) {
        ask_for_phone(
            &bot,
            &state,
            msg.chat.id,
            texts::not_your_contact(lang),
            lang,
        )
        .await?;
        return Ok(());
    }
    let Ok(phone) = Phone::from_telegram(&contact.phone_number) else {
        state
            .telegram
            .reply(bot.send_message(msg.chat.id, texts::invalid_contact_phone(lang)))
            .await?;
        return Ok(());
    };
    let profile = Profile {
        telegram_name: Some((from.first_name.clone(), from.last_name.clone())),
        username: from.username.clone(),
        language: from.language_code.clone(),
        full_name: None,
    };
    match state
        .bindings
        .link_phone(&phone, TelegramId::from(from.id), profile)
        .await
    {
        Ok(_) => {
            // The share-phone keyboard was one-time; the answer carries the login-code button.
            let linked = texts::linked(lang, &phone.masked(), state.bot.site_login_url.as_deref());
            state
                .telegram
                .reply(
                    bot.send_message(msg.chat.id, linked)
                        .reply_markup(get_code_keyboard(lang)),
                )
                .await?;
            // A login link opened before the phone was linked now asks for its answer.
            login::after_linking(&bot, &state, TelegramId::from(from.id), lang, &phone).await?;
        }
        Err(err) => {
            tracing::error!(error = ?err, "linking failed");
            state
                .telegram
                .reply(
                    bot.send_message(msg.chat.id, texts::temporarily_unavailable(lang))
                        .reply_markup(KeyboardRemove::new()),
                )
                .await?;
        }
    }
    Ok(())
}

/// Anything else in a private chat: a typed phone number is never trusted.
pub(super) async fn on_other_message(
    bot: Bot,
    msg: Message,
    state: AppState,
    sender: Sender,
) -> HandlerResult {
    let lang = sender.lang;
    let looks_like_phone = msg
        .text()
        .map(|t| t.chars().filter(char::is_ascii_digit).count() >= 7)
        .unwrap_or(false);
    let text = if looks_like_phone {
        texts::typed_phone_refused(lang)
    } else {
        texts::welcome(lang)
    };
    ask_for_phone(&bot, &state, msg.chat.id, text, lang).await?;
    Ok(())
}

/// "Get login code": a code for the linked phone, through the same path (store, limits) as the
/// site's request; it arrives as the usual code message.
pub(super) async fn on_button(
    bot: Bot,
    query: CallbackQuery,
    state: AppState,
    sender: Sender,
) -> HandlerResult {
    let lang = sender.lang;
    let _ = state
        .telegram
        .reply(bot.answer_callback_query(query.id.clone()))
        .await;
    if query.data.as_deref().is_some_and(login::is_answer) {
        return login::on_answer(&bot, &query, &state, &sender).await;
    }
    if query.data.as_deref() != Some(GET_CODE) {
        return Ok(());
    }
    let telegram_id = TelegramId::from(query.from.id);
    let chat = ChatId::from(telegram_id);
    let Some(account) = sender.account.as_ref().filter(|_| sender.phone().is_some()) else {
        ask_for_phone(&bot, &state, chat, texts::link_first(lang), lang).await?;
        return Ok(());
    };
    match state.codes.request_code_in_telegram(account).await {
        Ok(_) => {}
        Err(crate::error::Error::RateLimited { retry_after }) => {
            state
                .telegram
                .reply(bot.send_message(
                    chat,
                    texts::wait_for_code(lang, retry_after.as_secs().max(1)),
                ))
                .await?;
        }
        Err(err) => {
            tracing::warn!(error = %err, "bot-pull code request failed");
            state
                .telegram
                .reply(bot.send_message(chat, texts::temporarily_unavailable(lang)))
                .await?;
        }
    }
    Ok(())
}
