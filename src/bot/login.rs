//! One-tap login in the bot: the confirmation a login link opens (`/start login_…`), and its
//! two buttons, **Log in** and **Not me**. The core ([`one_tap`]) decides; this file talks.

use teloxide::{
    prelude::*,
    types::{CallbackQuery, ChatId, InlineKeyboardButton, InlineKeyboardMarkup},
};

use super::{private::ask_for_phone, schema::HandlerResult, sender::Sender};
use crate::{
    core::one_tap::{self, Answer, Opened, Settled},
    domain::{Asking, Phone, TelegramId},
    state::AppState,
    texts::{self, Lang, login},
};

/// The data of the buttons: the prefix, then the login's id (and, for a number, `:<number>`).
const PICK: &str = "login_pick:";
const APPROVE: &str = "login_ok:";
const DENY: &str = "login_no:";

/// Whether a button's data is one of the login buttons.
pub(super) fn is_answer(data: &str) -> bool {
    data.starts_with(PICK) || data.starts_with(APPROVE) || data.starts_with(DENY)
}

/// `/start login_…`: the link opened in Telegram.
pub(super) async fn on_link(
    bot: &Bot,
    msg: &Message,
    state: &AppState,
    payload: &str,
    sender: &Sender,
) -> HandlerResult {
    let lang = sender.lang;
    let Some(from) = msg.from.as_ref() else {
        return Ok(());
    };
    let by = TelegramId::from(from.id);
    let phone = sender.phone();
    let opened = state.one_tap.open(by, payload, phone.is_some()).await;
    let text = match (opened, &phone) {
        (Ok(Opened::Confirm { login_id, asking }), Some(phone)) => {
            return confirm(bot, state, msg.chat.id, lang, phone, &login_id, &asking).await;
        }
        (Ok(Opened::Confirm { asking, .. } | Opened::NeedsPhone(asking)), _) => {
            let text = login::share_phone(lang, site_name(state, &asking));
            return ask_for_phone(bot, state, msg.chat.id, text, lang).await;
        }
        (Ok(Opened::Used), _) => login::used(lang),
        (Ok(Opened::Missing), _) => login::expired(lang),
        (Ok(Opened::Limited), _) => login::limited(lang),
        (Err(err), _) => {
            tracing::warn!(error = %err, "opening a login link failed");
            texts::temporarily_unavailable(lang)
        }
    };
    state
        .telegram
        .reply(bot.send_message(msg.chat.id, text))
        .await?;
    Ok(())
}

/// Once a phone is linked: the login the account opened before it had one, if it still waits.
pub(super) async fn after_linking(
    bot: &Bot,
    state: &AppState,
    by: TelegramId,
    lang: Lang,
    phone: &Phone,
) -> HandlerResult {
    match state.one_tap.awaiting_phone(by).await {
        Ok(Some((login_id, asking))) => {
            confirm(bot, state, by.into(), lang, phone, &login_id, &asking).await
        }
        Ok(None) => Ok(()),
        Err(err) => {
            tracing::warn!(error = %err, "looking for a login waiting on a phone failed");
            Ok(())
        }
    }
}

/// "Log in to … from … at …?" with the two buttons.
async fn confirm(
    bot: &Bot,
    state: &AppState,
    chat: ChatId,
    lang: Lang,
    phone: &Phone,
    login_id: &str,
    asking: &Asking,
) -> HandlerResult {
    // In the deployment's time zone, with its offset: what the customer's own clock says.
    let time = chrono::DateTime::from_timestamp(asking.created, 0)
        .map(|at| {
            at.with_timezone(&state.login.time_zone)
                .format("%H:%M (UTC%:z)")
                .to_string()
        })
        .unwrap_or_default();
    let text = login::confirm(
        lang,
        site_name(state, asking),
        &asking.origin,
        &phone.masked(),
        &asking.browser,
        &time,
    );
    let not_me =
        InlineKeyboardButton::callback(login::not_me_button(lang), format!("{DENY}{login_id}"));
    // The login page shows a number: the customer picks it among three, so someone who was
    // sent a link or a QR code, and cannot see the page, logs nobody in.
    let (text, rows) = match asking.number {
        Some(number) => {
            let numbers = one_tap::choices(number)
                .into_iter()
                .map(|n| {
                    InlineKeyboardButton::callback(n.to_string(), format!("{PICK}{login_id}:{n}"))
                })
                .collect();
            let text = format!("{text}\n\n{}", login::pick_the_number(lang));
            (text, vec![numbers, vec![not_me]])
        }
        None => {
            let approve =
                InlineKeyboardButton::callback(login::button(lang), format!("{APPROVE}{login_id}"));
            (text, vec![vec![approve, not_me]])
        }
    };
    let buttons = InlineKeyboardMarkup::new(rows);
    state
        .telegram
        .reply(bot.send_message(chat, text).reply_markup(buttons))
        .await?;
    Ok(())
}

/// A login button's answer, as its data says it.
enum Parsed {
    Picked(u8),
    Approve,
    Deny,
}

/// `login_pick:<id>:<number>`, `login_ok:<id>` or `login_no:<id>`: the login and the answer.
fn parse_answer(data: &str) -> Option<(&str, Parsed)> {
    if let Some(rest) = data.strip_prefix(PICK) {
        let (id, number) = rest.split_once(':')?;
        return Some((id, Parsed::Picked(number.parse().ok()?)));
    }
    if let Some(id) = data.strip_prefix(APPROVE) {
        return Some((id, Parsed::Approve));
    }
    data.strip_prefix(DENY).map(|id| (id, Parsed::Deny))
}

/// The client's registered name the login began for, else `SITE_NAME`.
fn site_name<'a>(state: &'a AppState, asking: &'a Asking) -> Option<&'a str> {
    site_or_default(state, &asking.site)
}

/// `site` (a registered client's name; empty when there is none), else `SITE_NAME`.
fn site_or_default<'a>(state: &'a AppState, site: &'a str) -> Option<&'a str> {
    Some(site)
        .filter(|name| !name.is_empty())
        .or(state.login.site_name.as_deref())
}

/// **Log in** or **Not me**: the answer, then the confirmation rewritten to say what happened
/// (its buttons go with the old text).
pub(super) async fn on_answer(
    bot: &Bot,
    query: &CallbackQuery,
    state: &AppState,
    sender: &Sender,
) -> HandlerResult {
    let lang = sender.lang;
    let data = query.data.as_deref().unwrap_or_default();
    let Some((login_id, answer)) = parse_answer(data) else {
        return Ok(());
    };
    let by = TelegramId::from(query.from.id);
    let user = sender.account.as_ref().filter(|_| sender.phone().is_some());
    let answer = match (answer, user) {
        (Parsed::Deny, _) => Answer::Deny,
        (Parsed::Picked(number), Some(user)) => Answer::Picked(user, number),
        (Parsed::Approve, Some(user)) => Answer::Approve(user),
        (_, None) => {
            // The phone was unlinked since the confirmation: there is nobody to log in.
            ask_for_phone(bot, state, ChatId::from(by), texts::link_first(lang), lang).await?;
            return Ok(());
        }
    };
    // Read before the answer: the login may be collected (and gone) right after it.
    let site = state.one_tap.site_of(login_id).await.unwrap_or_default();
    let site = site_or_default(state, &site);
    let text = match state.one_tap.settle(by, login_id, answer).await {
        Ok(Settled::Approved) => login::approved(lang, site),
        Ok(Settled::Denied) => login::denied(lang),
        Ok(Settled::WrongNumber) => login::wrong_number(lang),
        Ok(Settled::Already) => login::already_answered(lang),
        Ok(Settled::Missing) => login::expired(lang),
        Err(err) => {
            tracing::warn!(error = %err, "answering a login failed");
            texts::temporarily_unavailable(lang)
        }
    };
    match query.regular_message() {
        Some(message) => {
            state
                .telegram
                .reply(bot.edit_message_text(message.chat.id, message.id, text))
                .await?;
        }
        None => {
            state
                .telegram
                .reply(bot.send_message(ChatId::from(by), text))
                .await?;
        }
    }
    Ok(())
}
