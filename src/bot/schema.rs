//! The handler tree: which handler each update goes to. The sender is looked up once per update
//! ([`sender`]); commands are in [`commands`], private-chat messages and buttons in [`private`].

use teloxide::{
    dispatching::{HandlerExt, UpdateFilterExt, UpdateHandler},
    dptree,
    prelude::*,
    types::{Message, UpdateKind},
    utils::command::BotCommands,
};

use super::{commands, private, sender};
use crate::state::AppState;

pub(super) type HandlerResult = anyhow::Result<()>;

/// These commands are supported:
#[derive(BotCommands, Clone, Debug)]
#[command(rename_rule = "lowercase")]
pub(crate) enum Command {
    /// link your phone number
    Start(String),
    /// show which phone is linked and which shops this chat hears about
    Status,
    /// receive a shop's new orders in this chat: `/link <token>`
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
pub(crate) fn schema() -> UpdateHandler<anyhow::Error> {
    let messages = Update::filter_message()
        .branch(
            dptree::entry()
                .filter_command::<Command>()
                .endpoint(commands::on_command),
        )
        .branch(
            dptree::filter(|msg: Message| msg.contact().is_some()).endpoint(private::on_contact),
        )
        .branch(
            dptree::filter(|msg: Message| msg.chat.is_private())
                .endpoint(private::on_other_message),
        );
    let buttons = Update::filter_callback_query().endpoint(private::on_button);
    dptree::entry()
        .filter_async(answer_in_turn)
        .map_async(sender::of_update)
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
