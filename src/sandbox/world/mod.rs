//! The sandbox's pretend Telegram: its users, chats and messages, and the updates waiting for
//! the bot. In memory, for one process: the sandbox exists only in development.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

mod bot_side;
mod people;

pub(crate) use bot_side::{bot_me, bot_user};

/// The sandbox bot's account.
pub const BOT_ID: i64 = 5_000_000_001;
pub(crate) const BOT_USERNAME: &str = "otpgram_sandbox_bot";
/// Telegram's "Verification Codes" account, which the Gateway's messages come from.
pub const VERIFICATION_CODES_ID: i64 = 5_000_000_002;
/// A user's chat with "Verification Codes" has this id plus the user's.
pub const VERIFICATION_CHATS: i64 = 9_000_000_000_000;
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
pub(crate) struct User {
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
pub(crate) struct Group {
    pub id: i64,
    pub title: String,
    /// The user who made the group (its admin).
    pub admin: i64,
    pub members: Vec<i64>,
}

/// One message in a chat, as the page shows it.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Message {
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
pub(crate) struct World {
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
pub(crate) enum Refused {
    #[error("no such user")]
    UnknownUser,
    #[error("no such chat")]
    UnknownChat,
    #[error("no such message")]
    UnknownMessage,
    #[error("{0}")]
    Invalid(&'static str),
}

pub(super) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl World {
    pub(crate) fn new() -> Self {
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
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Message> {
        self.events.subscribe()
    }

    pub(crate) fn users(&self) -> Vec<User> {
        self.state().users.values().cloned().collect()
    }

    pub(crate) fn groups(&self) -> Vec<Group> {
        self.state().groups.values().cloned().collect()
    }

    pub(crate) fn user(&self, id: i64) -> Option<User> {
        self.state().users.get(&id).cloned()
    }

    /// Makes a pretend user (an id is picked when none is asked for).
    pub(crate) fn add_user(&self, mut user: User) -> Result<User, Refused> {
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
    pub(crate) fn add_group(&self, title: &str, admin: i64) -> Result<Group, Refused> {
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
    pub(crate) fn join_group(&self, group: i64, user: i64) -> Result<Group, Refused> {
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

    /// A code from the Gateway for whoever has `phone` (E.164), in their "Verification Codes"
    /// chat: the request's id, or `None` when no pretend user has the number.
    pub(crate) fn verification_code(&self, phone: &str, code: &str, ttl: u64) -> Option<String> {
        let mut state = self.state();
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let user = state
            .users
            .values()
            .find(|u| digits(&u.phone) == digits(phone))?
            .clone();
        let id = Self::next_message_id(&mut state);
        let message = Message {
            id,
            chat_id: VERIFICATION_CHATS + user.id,
            from: VERIFICATION_CODES_ID,
            text: format!(
                "Verification code: {code}\nIt works for {} min. Never share it with anyone.",
                ttl.div_ceil(60)
            ),
            parse_mode: None,
            reply_markup: None,
            date: now(),
            deleted: false,
            edited: false,
        };
        self.store(&mut state, message);
        Some(format!("sandbox-{id}"))
    }

    /// The users who got a code from "Verification Codes", with that chat's id.
    pub(crate) fn verification_chats(&self) -> Vec<(i64, i64)> {
        self.state()
            .messages
            .keys()
            .filter(|chat| **chat > VERIFICATION_CHATS)
            .map(|chat| (chat - VERIFICATION_CHATS, *chat))
            .collect()
    }

    /// The messages of a chat, oldest first.
    pub(crate) fn messages(&self, chat: i64) -> Vec<Message> {
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
}
