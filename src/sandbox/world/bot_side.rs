//! The bot's side of the pretend Telegram: the updates it takes, and the messages it sends,
//! edits and deletes (through `sandbox::bot_api`).

use std::time::Duration;

use serde_json::{Value, json};

use super::{BOT_ID, BOT_USERNAME, Message, World, now};

impl World {
    /// The bot's `getUpdates`: updates after `offset` (which confirms the ones before it),
    /// waiting up to `timeout` for one to come.
    pub(crate) async fn updates(&self, offset: i64, limit: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let waiting = self.new_update.notified();
            {
                let mut state = self.state();
                while state.updates.front().is_some_and(|(id, _)| *id < offset) {
                    state.updates.pop_front();
                }
                if !state.updates.is_empty() {
                    return state
                        .updates
                        .iter()
                        .take(limit.clamp(1, 100))
                        .map(|(id, update)| {
                            let mut update = update.clone();
                            update["update_id"] = json!(id);
                            update
                        })
                        .collect();
                }
            }
            if tokio::time::timeout_at(deadline, waiting).await.is_err() {
                return Vec::new();
            }
        }
    }

    /// The bot sends a message; `None` when the chat does not exist.
    pub(crate) fn bot_sends(
        &self,
        chat: i64,
        text: &str,
        parse_mode: Option<&str>,
        reply_markup: Option<Value>,
    ) -> Option<Value> {
        let mut state = self.state();
        let chat_json = if let Some(user) = state.users.get(&chat) {
            json!({ "id": user.id, "type": "private", "first_name": user.first_name })
        } else {
            let group = state.groups.get(&chat)?;
            json!({ "id": group.id, "type": "group", "title": group.title })
        };
        let id = Self::next_message_id(&mut state);
        let date = now();
        let message = Message {
            id,
            chat_id: chat,
            from: BOT_ID,
            text: text.to_string(),
            parse_mode: parse_mode.map(str::to_string),
            reply_markup: reply_markup.clone(),
            date,
            deleted: false,
            edited: false,
        };
        self.store(&mut state, message);
        let mut sent = json!({
            "message_id": id, "date": date, "chat": chat_json, "from": bot_user(), "text": text,
        });
        if let Some(markup) = reply_markup.filter(|m| m.get("inline_keyboard").is_some()) {
            sent["reply_markup"] = markup;
        }
        Some(sent)
    }

    /// The bot edits one of its messages; `None` when there is no such message.
    pub(crate) fn bot_edits(
        &self,
        chat: i64,
        message_id: i64,
        text: &str,
        parse_mode: Option<&str>,
        reply_markup: Option<Value>,
    ) -> Option<Value> {
        let mut state = self.state();
        let message = state
            .messages
            .get_mut(&chat)?
            .iter_mut()
            .find(|m| m.id == message_id && m.from == BOT_ID)?;
        message.text = text.to_string();
        message.parse_mode = parse_mode.map(str::to_string);
        message.reply_markup = reply_markup;
        message.edited = true;
        let edited = message.clone();
        let _ = self.events.send(edited.clone());
        Some(json!({
            "message_id": edited.id, "date": edited.date, "edit_date": now(),
            "chat": { "id": chat, "type": if chat > 0 { "private" } else { "group" } },
            "from": bot_user(), "text": edited.text,
        }))
    }

    /// The bot deletes a message; false when there is no such message.
    pub(crate) fn delete(&self, chat: i64, message_id: i64) -> bool {
        let mut state = self.state();
        let Some(message) = state
            .messages
            .get_mut(&chat)
            .and_then(|m| m.iter_mut().find(|m| m.id == message_id))
        else {
            return false;
        };
        message.deleted = true;
        let deleted = message.clone();
        let _ = self.events.send(deleted);
        true
    }

    /// Whether `user` may administer `chat` (a private chat is its own admin).
    pub(crate) fn is_admin(&self, chat: i64, user: i64) -> bool {
        chat == user
            || self
                .state()
                .groups
                .get(&chat)
                .is_some_and(|g| g.admin == user)
    }
}

/// The bot's own account, as `getMe` answers.
pub(crate) fn bot_me() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "otpgram sandbox",
        "username": BOT_USERNAME, "can_join_groups": true,
        "can_read_all_group_messages": false, "supports_inline_queries": false,
        "can_connect_to_business": false, "has_main_web_app": false,
    })
}

pub(crate) fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "otpgram sandbox", "username": BOT_USERNAME,
    })
}
