//! What the pretend people do: write, share their contact, press the bot's buttons. Each
//! becomes an update waiting for the bot.

use serde_json::{Value, json};

use super::{BOT_ID, Message, Refused, World, bot_user, now};

impl World {
    /// `from` writes `text` in `chat` (their private chat with the bot, or a group).
    pub(crate) fn send_text(&self, chat: i64, from: i64, text: &str) -> Result<Message, Refused> {
        let text = text.trim();
        if text.is_empty() || text.encode_utf16().count() > 4096 {
            return Err(Refused::Invalid("a message is 1 to 4096 characters"));
        }
        let mut fields = json!({ "text": text });
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or(text);
            fields["entities"] = json!([{
                "type": "bot_command", "offset": 0, "length": command.encode_utf16().count(),
            }]);
        }
        self.user_writes(chat, from, text, fields)
    }

    /// `from` shares their own contact (the "Share phone number" button) in their private chat.
    pub(crate) fn share_contact(&self, from: i64) -> Result<Message, Refused> {
        let user = self.user(from).ok_or(Refused::UnknownUser)?;
        let contact = json!({ "contact": {
            "phone_number": user.phone, "first_name": user.first_name,
            "last_name": user.last_name, "user_id": user.id,
        }});
        self.user_writes(from, from, &format!("📱 {}", user.phone), contact)
    }

    /// A user's message in a chat: shown as `shown`, sent to the bot as a message update with
    /// `fields` (its text, or its contact).
    fn user_writes(
        &self,
        chat: i64,
        from: i64,
        shown: &str,
        fields: Value,
    ) -> Result<Message, Refused> {
        let mut state = self.state();
        let user = state
            .users
            .get(&from)
            .cloned()
            .ok_or(Refused::UnknownUser)?;
        let chat_json = Self::chat_json(&state, chat, &user).ok_or(Refused::UnknownChat)?;
        let id = Self::next_message_id(&mut state);
        let date = now();
        let mut update = json!({
            "message_id": id, "date": date, "chat": chat_json, "from": user.telegram(),
        });
        if let (Some(update), Value::Object(fields)) = (update.as_object_mut(), fields) {
            update.extend(fields);
        }
        let message = Message {
            id,
            chat_id: chat,
            from,
            text: shown.to_string(),
            parse_mode: None,
            reply_markup: None,
            date,
            deleted: false,
            edited: false,
        };
        self.store(&mut state, message.clone());
        self.push_update(&mut state, json!({ "message": update }));
        Ok(message)
    }

    /// `from` presses the inline button carrying `data` under the bot's message `message_id`.
    pub(crate) fn press(
        &self,
        chat: i64,
        from: i64,
        message_id: i64,
        data: &str,
    ) -> Result<(), Refused> {
        let mut state = self.state();
        let user = state
            .users
            .get(&from)
            .cloned()
            .ok_or(Refused::UnknownUser)?;
        let chat_json = Self::chat_json(&state, chat, &user).ok_or(Refused::UnknownChat)?;
        let message = state
            .messages
            .get(&chat)
            .and_then(|m| m.iter().find(|m| m.id == message_id && m.from == BOT_ID))
            .cloned()
            .ok_or(Refused::UnknownMessage)?;
        let offered = message
            .reply_markup
            .as_ref()
            .and_then(|m| m["inline_keyboard"].as_array())
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().into_iter().flatten())
            .any(|button| button["callback_data"] == data);
        if !offered {
            return Err(Refused::Invalid("the message has no such button"));
        }
        let query_id = format!("q{}", state.next_update_id + 1);
        let update = json!({ "callback_query": {
            "id": query_id, "from": user.telegram(), "chat_instance": chat.to_string(),
            "data": data,
            "message": {
                "message_id": message.id, "date": message.date, "chat": chat_json,
                "from": bot_user(), "text": message.text,
                "reply_markup": message.reply_markup,
            },
        }});
        self.push_update(&mut state, update);
        Ok(())
    }
}
