//! What the bot does with each kind of message. Each handler parses, calls the core, and
//! answers; the texts come from [`crate::telegram::texts`].

use teloxide::{
    dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler},
    dptree,
    prelude::*,
    types::{
        ButtonRequest, CallbackQuery, ChatId, KeyboardButton, KeyboardMarkup, KeyboardRemove,
        Message, UpdateKind,
    },
    utils::command::BotCommands,
};

use crate::{
    binding,
    domain::{Phone, TelegramId},
    otp,
    profile::{self, Profile, UserRecord},
    shops::{self, ChatInfo},
    state::AppState,
    telegram::client::{GET_CODE, get_code_keyboard},
    telegram::texts::{self, Lang},
};

type HandlerResult = anyhow::Result<()>;

/// These commands are supported:
#[derive(BotCommands, Clone, Debug)]
#[command(rename_rule = "lowercase")]
pub enum Command {
    /// link your phone number
    Start(String),
    /// show which phone is linked and which shops this chat hears about
    Status,
    /// receive a shop's new orders in this chat: /link <token>
    Link(String),
    /// stop receiving orders in this chat
    Unlink,
    /// get a login code for the website
    Code,
    /// choose the bot's language: /language uz, ru or en
    Language(String),
    /// show this help
    Help,
}

/// The handler tree, apart from the dispatcher so it can be read (and tested) on its own.
pub fn schema() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(on_command),
        )
        .branch(dptree::filter(|msg: Message| msg.contact().is_some()).endpoint(on_contact))
        .branch(dptree::filter(|msg: Message| msg.chat.is_private()).endpoint(on_other_message));
    let buttons = Update::filter_callback_query().endpoint(on_button);
    dptree::entry()
        .filter_async(answer_in_turn)
        .branch(messages)
        .branch(buttons)
}

/// Every update is answered within the bot's sending budget, at most about once a second per
/// chat: a button pressed again and again gets one answer a second, the other presses are
/// dropped (see [`crate::telegram::pacer::Pacer::answer_slot`]).
async fn answer_in_turn(update: Update, state: AppState) -> bool {
    let Some(chat) = update.chat().map(|c| c.id.0) else {
        return true;
    };
    let droppable = matches!(update.kind, UpdateKind::CallbackQuery(_));
    state.pacer.answer_slot(chat, droppable).await
}

fn share_phone_keyboard(lang: Lang) -> KeyboardMarkup {
    KeyboardMarkup::new(vec![vec![
        KeyboardButton::new(texts::share_phone_button(lang)).request(ButtonRequest::Contact),
    ]])
    .resize_keyboard()
    .one_time_keyboard()
}

/// Who sent an update, as the database knows them: read once per update.
struct Sender {
    /// The language they chose (`/language`), else their Telegram one, else the default.
    lang: Lang,
    /// Their user row, if they ever linked a phone.
    account: Option<UserRecord>,
    /// The lookup failed (the database is away): say so rather than "not linked".
    unavailable: bool,
}

impl Sender {
    /// The phone linked to this account.
    fn phone(&self) -> Option<Phone> {
        self.account
            .as_ref()
            .and_then(|u| Phone::from_telegram(&u.phone).ok())
    }
}

async fn sender(state: &AppState, user: Option<&teloxide::types::User>) -> Sender {
    let fallback = state.config.telegram.default_language;
    let Some(user) = user else {
        return Sender {
            lang: fallback,
            account: None,
            unavailable: false,
        };
    };
    let telegram = Lang::from_code(user.language_code.as_deref(), fallback);
    match profile::of_account(state, user.id.0 as TelegramId).await {
        Ok(account) => Sender {
            lang: Lang::from_code(
                account.as_ref().and_then(|u| u.language.as_deref()),
                telegram,
            ),
            account,
            unavailable: false,
        },
        Err(err) => {
            tracing::warn!(error = %err, "sender lookup failed");
            Sender {
                lang: telegram,
                account: None,
                unavailable: true,
            }
        }
    }
}

fn sender_id(msg: &Message) -> Option<TelegramId> {
    msg.from.as_ref().map(|user| user.id.0 as TelegramId)
}

async fn on_command(bot: Bot, msg: Message, cmd: Command, state: AppState) -> HandlerResult {
    let sender = sender(&state, msg.from.as_ref()).await;
    let lang = sender.lang;
    match cmd {
        Command::Start(payload) if payload.starts_with(shops::DEEP_LINK_PREFIX) => {
            if msg.chat.is_private() {
                subscribe_chat(&bot, &msg, &state, &payload, lang).await?;
            }
        }
        Command::Start(_) => {
            if msg.chat.is_private() {
                bot.send_message(msg.chat.id, texts::welcome(lang))
                    .reply_markup(share_phone_keyboard(lang))
                    .await?;
            }
        }
        Command::Link(token) => {
            if !msg.chat.is_private() && !token.trim().is_empty() {
                // The token is a secret: it should not stay in the group for all to read. A bot
                // that may not delete messages leaves it (and the link is used up anyway).
                if let Err(err) = bot.delete_message(msg.chat.id, msg.id).await {
                    tracing::info!(error = %err, "could not delete a /link message");
                }
            }
            if token.trim().is_empty() {
                bot.send_message(msg.chat.id, texts::link_usage(lang))
                    .await?;
            } else if is_chat_admin(&bot, &msg).await? {
                subscribe_chat(&bot, &msg, &state, &token, lang).await?;
            } else {
                bot.send_message(msg.chat.id, texts::admins_only(lang))
                    .await?;
            }
        }
        Command::Unlink => {
            if !is_chat_admin(&bot, &msg).await? {
                bot.send_message(msg.chat.id, texts::admins_only(lang))
                    .await?;
                return Ok(());
            }
            let text = match shops::leave_all(&state, msg.chat.id.0).await {
                Ok(left) => texts::shops_unlinked(lang, &names(&left)),
                Err(err) => {
                    tracing::warn!(error = %err, "unlink failed");
                    texts::temporarily_unavailable(lang)
                }
            };
            bot.send_message(msg.chat.id, text).await?;
        }
        Command::Help => {
            bot.send_message(msg.chat.id, texts::help(lang)).await?;
        }
        Command::Code => {
            if !msg.chat.is_private() {
                return Ok(());
            }
            match sender.phone() {
                Some(phone) => {
                    bot.send_message(msg.chat.id, texts::code_offer(lang, &phone.masked()))
                        .reply_markup(get_code_keyboard(lang))
                        .await?;
                }
                None => {
                    bot.send_message(msg.chat.id, texts::link_first(lang))
                        .reply_markup(share_phone_keyboard(lang))
                        .await?;
                }
            }
        }
        Command::Language(choice) => {
            let choice = choice.trim().to_ascii_lowercase();
            let Some(chosen) = Lang::ALL.into_iter().find(|l| l.code() == choice) else {
                bot.send_message(msg.chat.id, texts::language_usage(lang))
                    .await?;
                return Ok(());
            };
            if let Some(telegram_id) = sender_id(&msg)
                && let Err(err) = binding::set_language(&state, telegram_id, chosen).await
            {
                tracing::warn!(error = %err, "could not store the language");
            }
            bot.send_message(msg.chat.id, texts::language_set(chosen))
                .await?;
        }
        Command::Status => {
            bot.send_message(msg.chat.id, status_text(&state, &msg, &sender).await)
                .await?;
        }
    }
    Ok(())
}

/// In a private chat: the linked phone, plus the shops the chat hears about (if any). In a
/// group: the shops.
async fn status_text(state: &AppState, msg: &Message, sender: &Sender) -> String {
    let lang = sender.lang;
    let shops = match shops::of_chat(state, msg.chat.id.0).await {
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

/// "Get login code": a code for the linked phone, through the same path (store, limits) as the
/// site's request; it arrives as the usual code message.
async fn on_button(bot: Bot, query: CallbackQuery, state: AppState) -> HandlerResult {
    let sender = sender(&state, Some(&query.from)).await;
    let lang = sender.lang;
    let _ = bot.answer_callback_query(query.id.clone()).await;
    if query.data.as_deref() != Some(GET_CODE) {
        return Ok(());
    }
    let telegram_id = query.from.id.0 as TelegramId;
    let chat = ChatId(telegram_id);
    let Some(account) = sender.account.as_ref().filter(|_| sender.phone().is_some()) else {
        bot.send_message(chat, texts::link_first(lang))
            .reply_markup(share_phone_keyboard(lang))
            .await?;
        return Ok(());
    };
    match otp::request_code_in_telegram(&state, account).await {
        Ok(_) => {}
        Err(crate::error::Error::RateLimited { retry_after }) => {
            bot.send_message(
                chat,
                texts::wait_for_code(lang, retry_after.as_secs().max(1)),
            )
            .await?;
        }
        Err(err) => {
            tracing::warn!(error = %err, "bot-pull code request failed");
            bot.send_message(chat, texts::temporarily_unavailable(lang))
                .await?;
        }
    }
    Ok(())
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
        chat_id: msg.chat.id.0,
        chat_type: chat_type(&msg.chat),
        title: msg.chat.title().map(str::to_string),
        added_by: sender_id(msg),
        language: lang.code(),
    };
    let text = match shops::subscribe(state, payload, chat).await {
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
    bot.send_message(msg.chat.id, text).await?;
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
        let lang = Lang::from_code(
            other.language.as_deref(),
            state.config.telegram.default_language,
        );
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
        let to = other.chat_id;
        tokio::spawn(async move {
            if let Err(err) = telegram.send_text(to, text).await {
                tracing::warn!(chat = to, error = %err, "could not tell a chat of a new subscriber");
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

/// A shared contact: accepted only when it is the sender's own.
async fn on_contact(bot: Bot, msg: Message, state: AppState) -> HandlerResult {
    let lang = sender(&state, msg.from.as_ref()).await.lang;
    if !msg.chat.is_private() {
        return Ok(());
    }
    let (Some(contact), Some(from)) = (msg.contact(), msg.from.as_ref()) else {
        return Ok(());
    };
    if contact.user_id != Some(from.id) {
        bot.send_message(msg.chat.id, texts::not_your_contact(lang))
            .reply_markup(share_phone_keyboard(lang))
            .await?;
        return Ok(());
    }
    let Ok(phone) = Phone::from_telegram(&contact.phone_number) else {
        bot.send_message(msg.chat.id, texts::invalid_contact_phone(lang))
            .await?;
        return Ok(());
    };
    let profile = Profile {
        telegram_name: Some((from.first_name.clone(), from.last_name.clone())),
        username: from.username.clone(),
        language: from.language_code.clone(),
        full_name: None,
    };
    match binding::link_phone(&state, &phone, from.id.0 as TelegramId, profile).await {
        Ok(_) => {
            // The share-phone keyboard was one-time; the answer carries the login-code button.
            let linked = texts::linked(
                lang,
                &phone.masked(),
                state.config.telegram.site_login_url.as_deref(),
            );
            bot.send_message(msg.chat.id, linked)
                .reply_markup(get_code_keyboard(lang))
                .await?;
        }
        Err(err) => {
            tracing::error!(error = ?err, "linking failed");
            bot.send_message(msg.chat.id, texts::temporarily_unavailable(lang))
                .reply_markup(KeyboardRemove::new())
                .await?;
        }
    }
    Ok(())
}

/// Anything else in a private chat: a typed phone number is never trusted.
async fn on_other_message(bot: Bot, msg: Message, state: AppState) -> HandlerResult {
    let lang = sender(&state, msg.from.as_ref()).await.lang;
    let looks_like_phone = msg
        .text()
        .map(|t| t.chars().filter(char::is_ascii_digit).count() >= 7)
        .unwrap_or(false);
    let text = if looks_like_phone {
        texts::typed_phone_refused(lang)
    } else {
        texts::welcome(lang)
    };
    bot.send_message(msg.chat.id, text)
        .reply_markup(share_phone_keyboard(lang))
        .await?;
    Ok(())
}
