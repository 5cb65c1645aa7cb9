//! The sandbox's pretend Telegram: its users, chats and messages, and the updates waiting for
//! the bot. In memory, for one process: the sandbox exists only in development.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

/// The sandbox bot's account.
pub const BOT_ID: i64 = 5_000_000_001;
pub const BOT_USERNAME: &str = "otpgram_sandbox_bot";
/// Pretend users get ids from here up.
const FIRST_USER_ID: i64 = 100_001;
/// Pretend groups get ids from here down.
const FIRST_GROUP_ID: i64 = -1_000_001;
/// Updates the bot has not taken are dropped past this many (Telegram keeps them a day).
const MAX_WAITING_UPDATES: usize = 1000;
/// Messages kept per chat.
const MAX_MESSAGES_PER_CHAT: usize = 500;

/// A pretend Telegram user.
#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// Digits with a leading `+`, as Telegram shares them.
    pub phone: String,
    pub language: String,
}

impl User {
    fn telegram(&self) -> Value {
        json!({
            "id": self.id, "is_bot": false, "first_name": self.first_name,
            "last_name": self.last_name, "username": self.username,
            "language_code": self.language,
        })
    }
}

/// A pretend group with the bot in it.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub id: i64,
    pub title: String,
    /// The user who made the group (its admin).
    pub admin: i64,
    pub members: Vec<i64>,
}

/// One message in a chat, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    pub id: i64,
    pub chat_id: i64,
    /// The sender's user id; [`BOT_ID`] for the bot.
    pub from: i64,
    pub text: String,
    /// `HTML` when the text uses Telegram's HTML subset.
    pub parse_mode: Option<String>,
    /// The bot's `reply_markup` as sent (inline buttons or a reply keyboard), if any.
    pub reply_markup: Option<Value>,
    pub date: i64,
    pub deleted: bool,
    pub edited: bool,
}

#[derive(Default)]
struct State {
    users: BTreeMap<i64, User>,
    groups: BTreeMap<i64, Group>,
    messages: BTreeMap<i64, VecDeque<Message>>,
    updates: VecDeque<(i64, Value)>,
    next_update_id: i64,
    next_message_id: i64,
}

/// The pretend Telegram, shared by the Bot API the bot calls and the page people use.
#[derive(Clone)]
pub struct World {
    state: Arc<Mutex<State>>,
    new_update: Arc<Notify>,
    /// Every message the page should show, as it happens.
    events: broadcast::Sender<Message>,
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// Why a pretend action was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Refused {
    #[error("no such user")]
    UnknownUser,
    #[error("no such chat")]
    UnknownChat,
    #[error("no such message")]
    UnknownMessage,
    #[error("{0}")]
    Invalid(&'static str),
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl World {
    pub fn new() -> Self {
        Self {
            state: Arc::default(),
            new_update: Arc::default(),
            events: broadcast::channel(256).0,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every new message, for the page's live view.
    pub fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.events.subscribe()
    }

    pub fn users(&self) -> Vec<User> {
        self.state().users.values().cloned().collect()
    }

    pub fn groups(&self) -> Vec<Group> {
        self.state().groups.values().cloned().collect()
    }

    pub fn user(&self, id: i64) -> Option<User> {
        self.state().users.get(&id).cloned()
    }

    /// Makes a pretend user (an id is picked when none is asked for).
    pub fn add_user(&self, mut user: User) -> Result<User, Refused> {
        let mut state = self.state();
        if user.id == 0 {
            user.id = state
                .users
                .keys()
                .next_back()
                .map_or(FIRST_USER_ID, |last| (last + 1).max(FIRST_USER_ID));
        }
        if user.id <= 0 || user.id == BOT_ID {
            return Err(Refused::Invalid("a user id is a positive number"));
        }
        if state.users.contains_key(&user.id) {
            return Err(Refused::Invalid("a user with this id exists"));
        }
        state.users.insert(user.id, user.clone());
        Ok(user)
    }

    /// Makes a group with the bot and `admin` in it.
    pub fn add_group(&self, title: &str, admin: i64) -> Result<Group, Refused> {
        let mut state = self.state();
        if !state.users.contains_key(&admin) {
            return Err(Refused::UnknownUser);
        }
        let id = state
            .groups
            .keys()
            .next()
            .map_or(FIRST_GROUP_ID, |lowest| (lowest - 1).min(FIRST_GROUP_ID));
        let group = Group {
            id,
            title: title.to_string(),
            admin,
            members: vec![admin],
        };
        state.groups.insert(id, group.clone());
        Ok(group)
    }

    /// Adds a user to a group.
    pub fn join_group(&self, group: i64, user: i64) -> Result<Group, Refused> {
        let mut state = self.state();
        if !state.users.contains_key(&user) {
            return Err(Refused::UnknownUser);
        }
        let group = state.groups.get_mut(&group).ok_or(Refused::UnknownChat)?;
        if !group.members.contains(&user) {
            group.members.push(user);
        }
        Ok(group.clone())
    }

    /// The messages of a chat, oldest first.
    pub fn messages(&self, chat: i64) -> Vec<Message> {
        self.state()
            .messages
            .get(&chat)
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The chat as the Bot API describes it, seen by `user`.
    fn chat_json(state: &State, chat: i64, user: &User) -> Option<Value> {
        if chat == user.id {
            return Some(json!({
                "id": user.id, "type": "private", "first_name": user.first_name,
                "last_name": user.last_name, "username": user.username,
            }));
        }
        let group = state.groups.get(&chat)?;
        group
            .members
            .contains(&user.id)
            .then(|| json!({ "id": group.id, "type": "group", "title": group.title }))
    }

    fn store(&self, state: &mut State, message: Message) {
        let chat = state.messages.entry(message.chat_id).or_default();
        chat.push_back(message.clone());
        while chat.len() > MAX_MESSAGES_PER_CHAT {
            chat.pop_front();
        }
        let _ = self.events.send(message);
    }

    fn next_message_id(state: &mut State) -> i64 {
        state.next_message_id += 1;
        state.next_message_id
    }

    fn push_update(&self, state: &mut State, update: Value) {
        state.next_update_id += 1;
        let id = state.next_update_id;
        state.updates.push_back((id, update));
        while state.updates.len() > MAX_WAITING_UPDATES {
            state.updates.pop_front();
        }
        self.new_update.notify_waiters();
    }

    /// `from` writes `text` in `chat` (their private chat with the bot, or a group).
    pub fn send_text(&self, chat: i64, from: i64, text: &str) -> Result<Message, Refused> {
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
    pub fn share_contact(&self, from: i64) -> Result<Message, Refused> {
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
    pub fn press(&self, chat: i64, from: i64, message_id: i64, data: &str) -> Result<(), Refused> {
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

    /// The bot's `getUpdates`: updates after `offset` (which confirms the ones before it),
    /// waiting up to `timeout` for one to come.
    pub async fn updates(&self, offset: i64, limit: usize, timeout: Duration) -> Vec<Value> {
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
    pub fn bot_sends(
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
    pub fn bot_edits(
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
    pub fn delete(&self, chat: i64, message_id: i64) -> bool {
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
    pub fn is_admin(&self, chat: i64, user: i64) -> bool {
        chat == user
            || self
                .state()
                .groups
                .get(&chat)
                .is_some_and(|g| g.admin == user)
    }
}

/// The bot's own account, as `getMe` answers.
pub fn bot_me() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "otpgram sandbox",
        "username": BOT_USERNAME, "can_join_groups": true,
        "can_read_all_group_messages": false, "supports_inline_queries": false,
        "can_connect_to_business": false, "has_main_web_app": false,
    })
}

pub fn bot_user() -> Value {
    json!({
        "id": BOT_ID, "is_bot": true, "first_name": "otpgram sandbox", "username": BOT_USERNAME,
    })
}
