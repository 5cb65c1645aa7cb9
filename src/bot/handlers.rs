//! What the bot does with each kind of message. Each handler parses, calls the core, and
//! answers; the texts come from [`crate::texts`].

use teloxide::{
    dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler},
    dptree,
    prelude::*,
    types::{ButtonRequest, KeyboardButton, KeyboardMarkup, KeyboardRemove, Message},
    utils::command::BotCommands,
};

use crate::{
    binding,
    domain::{Phone, TelegramId},
    state::AppState,
    texts,
    users::{self, Profile},
};

type HandlerResult = anyhow::Result<()>;

/// These commands are supported:
#[derive(BotCommands, Clone, Debug)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// link your phone number
    Start(String),
    /// show which phone is linked
    Status,
    /// show this help
    Help,
}

/// The handler tree, apart from the dispatcher so it can be read (and tested) on its own.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    Update::filter_message()
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(on_command),
        )
        .branch(dptree::filter(|msg: Message| msg.contact().is_some()).endpoint(on_contact))
        .branch(dptree::filter(|msg: Message| msg.chat.is_private()).endpoint(on_other_message))
}

fn share_phone_keyboard() -> KeyboardMarkup {
    KeyboardMarkup::new(vec![vec![
        KeyboardButton::new(texts::SHARE_PHONE_BUTTON).request(ButtonRequest::Contact),
    ]])
    .resize_keyboard()
    .one_time_keyboard()
}

fn sender_id(msg: &Message) -> Option<TelegramId> {
    msg.from.as_ref().map(|user| user.id.0 as TelegramId)
}

async fn on_command(bot: Bot, msg: Message, cmd: Command, state: AppState) -> HandlerResult {
    match cmd {
        Command::Start(_) => {
            bot.send_message(msg.chat.id, texts::welcome())
                .reply_markup(share_phone_keyboard())
                .await?;
        }
        Command::Help => {
            bot.send_message(
                msg.chat.id,
                texts::help(&Command::descriptions().to_string()),
            )
            .await?;
        }
        Command::Status => {
            let Some(telegram_id) = sender_id(&msg) else {
                return Ok(());
            };
            let text = match users::find_by_telegram_id(&state.db, telegram_id).await {
                Ok(Some(user)) => {
                    let masked = Phone::from_telegram(&user.phone)
                        .map(|p| p.masked())
                        .unwrap_or_default();
                    texts::status_linked(&masked, user.is_verified)
                }
                Ok(None) => texts::status_unlinked(),
                Err(err) => {
                    tracing::warn!(error = %err, "status lookup failed");
                    texts::temporarily_unavailable()
                }
            };
            bot.send_message(msg.chat.id, text).await?;
        }
    }
    Ok(())
}

/// A shared contact: accepted only when it is the sender's own.
async fn on_contact(bot: Bot, msg: Message, state: AppState) -> HandlerResult {
    if !msg.chat.is_private() {
        return Ok(());
    }
    let (Some(contact), Some(from)) = (msg.contact(), msg.from.as_ref()) else {
        return Ok(());
    };
    if contact.user_id != Some(from.id) {
        bot.send_message(msg.chat.id, texts::not_your_contact())
            .reply_markup(share_phone_keyboard())
            .await?;
        return Ok(());
    }
    let Ok(phone) = Phone::from_telegram(&contact.phone_number) else {
        bot.send_message(msg.chat.id, texts::invalid_contact_phone())
            .await?;
        return Ok(());
    };
    let profile = Profile {
        first_name: Some(from.first_name.clone()),
        username: from.username.clone(),
        language: from.language_code.clone(),
    };
    let text = match binding::link_phone(&state, &phone, from.id.0 as TelegramId, profile).await {
        Ok(_) => texts::linked(&phone.masked(), state.config.site_login_url.as_deref()),
        Err(err) => {
            tracing::error!(error = ?err, "linking failed");
            texts::temporarily_unavailable()
        }
    };
    bot.send_message(msg.chat.id, text)
        .reply_markup(KeyboardRemove::new())
        .await?;
    Ok(())
}

/// Anything else in a private chat: a typed phone number is never trusted.
async fn on_other_message(bot: Bot, msg: Message) -> HandlerResult {
    let looks_like_phone = msg
        .text()
        .map(|t| t.chars().filter(char::is_ascii_digit).count() >= 7)
        .unwrap_or(false);
    let text = if looks_like_phone {
        texts::typed_phone_refused()
    } else {
        texts::welcome()
    };
    bot.send_message(msg.chat.id, text)
        .reply_markup(share_phone_keyboard())
        .await?;
    Ok(())
}
