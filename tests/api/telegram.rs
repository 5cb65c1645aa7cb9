//! A fake Telegram Bot API on 127.0.0.1: it serves `getMe`, long-polls `getUpdates` with the
//! updates a test injects, records everything the bot sends, and can fail on demand.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const BOT_ID: i64 = 7_000_000_001;
pub const BOT_USERNAME: &str = "otpgram_test_bot";

/// One call the bot made (`method` lower-cased).
#[derive(Clone, Debug)]
pub struct Sent {
    pub method: String,
    pub chat_id: i64,
    pub text: String,
    pub body: Value,
    pub at: Instant,
}

/// A canned failure for the next `count` calls of `method` (to `chat`, if set).
struct Failure {
    method: String,
    chat: Option<i64>,
    status: u16,
    answer: Value,
    count: u32,
}

#[derive(Default)]
struct Inner {
    sent: Mutex<Vec<Sent>>,
    updates: Mutex<Vec<Value>>,
    failures: Mutex<Vec<Failure>>,
    /// Every sendMessage call, answered or not: (chat, time, status answered, text).
    attempts: Mutex<Vec<(i64, Instant, u16, String)>>,
    /// After this many recorded messages, sendMessage calls hang unanswered (and unrecorded).
    stall_after: Mutex<Option<usize>>,
    /// Users' Telegram language codes (others speak English).
    languages: Mutex<std::collections::HashMap<i64, String>>,
    /// Every call: (lower-cased method, body).
    calls: Mutex<Vec<(String, Value)>>,
    /// Updates below this id were confirmed by a poller (Telegram forgets them).
    confirmed: Mutex<i64>,
    /// getUpdates calls being answered right now, and the most seen at once.
    polls: Mutex<(usize, usize)>,
    /// Per chat: how long sendMessage takes to answer.
    delays: Mutex<std::collections::HashMap<i64, Duration>>,
    /// Per chat: how many more messages are shown and then answered with a dropped connection.
    drops: Mutex<std::collections::HashMap<i64, u32>>,
    /// (chat, user) pairs for which getChatMember answers "administrator".
    admins: Mutex<Vec<(i64, i64)>>,
    new_update: Notify,
    new_message: Notify,
    next_message_id: Mutex<i64>,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    inner: Arc<Inner>,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let router = Router::new()
            .route("/{token}/{method}", post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Self {
            url: format!("http://{addr}"),
            inner,
        }
    }

    /// Queues an update for the bot's next `getUpdates`.
    pub fn push_update(&self, mut update: Value) {
        let mut updates = self.inner.updates.lock().unwrap();
        update["update_id"] = json!(updates.len() as i64 + 1);
        updates.push(update);
        drop(updates);
        self.inner.new_update.notify_waiters();
    }

    /// From now on `user_id`'s Telegram is set to `language` (`ru`, `uz`, …).
    pub fn speak(&self, user_id: i64, language: &str) {
        self.inner
            .languages
            .lock()
            .unwrap()
            .insert(user_id, language.to_string());
    }

    fn localise(&self, mut update: Value, user_id: i64) -> Value {
        if let Some(language) = self.inner.languages.lock().unwrap().get(&user_id) {
            update["message"]["from"]["language_code"] = json!(language);
        }
        update
    }

    /// A private-chat message from `user_id`.
    pub fn send_text(&self, user_id: i64, text: &str) {
        self.push_update(self.localise(text_update(user_id, text), user_id));
    }

    /// `from_user` shares the contact of `contact_user` (their own when equal) with this phone.
    pub fn share_contact(&self, from_user: i64, contact_user: Option<i64>, phone: &str) {
        let mut message = private_message(from_user);
        let mut contact = json!({ "phone_number": phone, "first_name": "Contact" });
        if let Some(id) = contact_user {
            contact["user_id"] = json!(id);
        }
        message["contact"] = contact;
        self.push_update(self.localise(json!({ "message": message }), from_user));
    }

    /// `user_id` presses an inline button carrying `data` under one of the bot's messages.
    pub fn press_button(&self, user_id: i64, data: &str) {
        let mut message = private_message(user_id);
        message["from"] = json!({ "id": BOT_ID, "is_bot": true, "first_name": "otpgram" });
        message["text"] = json!("(a message with buttons)");
        self.push_update(json!({
            "callback_query": {
                "id": format!("cb{user_id}"),
                "from": { "id": user_id, "is_bot": false, "first_name": "Ann" },
                "message": message,
                "chat_instance": "1",
                "data": data,
            }
        }));
    }

    /// A message from `user_id` in the group `chat_id` (a negative id, as Telegram's are).
    pub fn send_group_text(&self, chat_id: i64, user_id: i64, text: &str) {
        let mut message = private_message(user_id);
        message["chat"] = json!({ "id": chat_id, "type": "group", "title": "Shop staff" });
        with_text(&mut message, text);
        self.push_update(json!({ "message": message }));
    }

    /// The bodies of every call of `method` (any case).
    pub fn calls_of(&self, method: &str) -> Vec<Value> {
        let method = method.to_ascii_lowercase();
        self.inner
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| *m == method)
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// The most getUpdates calls in flight at once since the last reset.
    pub fn max_concurrent_polls(&self) -> usize {
        self.inner.polls.lock().unwrap().1
    }

    pub fn reset_poll_stats(&self) {
        let mut polls = self.inner.polls.lock().unwrap();
        polls.1 = polls.0;
    }

    /// Makes `user_id` an administrator of `chat_id` for getChatMember.
    pub fn make_admin(&self, chat_id: i64, user_id: i64) {
        self.inner.admins.lock().unwrap().push((chat_id, user_id));
    }

    /// Makes the next `count` calls of `method` fail with `status` (a 429 with `retry_after`).
    pub fn fail_next(&self, method: &str, status: u16, count: u32, retry_after: Option<u64>) {
        self.fail(
            method,
            None,
            status,
            count,
            retry_after.map(|s| json!({ "retry_after": s })),
        );
    }

    /// Makes the next `count` messages to `chat` fail with `status`, answered as Telegram does.
    pub fn fail_chat(&self, chat: i64, status: u16, count: u32, parameters: Option<Value>) {
        self.fail("sendMessage", Some(chat), status, count, parameters);
    }

    fn fail(
        &self,
        method: &str,
        chat: Option<i64>,
        status: u16,
        count: u32,
        parameters: Option<Value>,
    ) {
        let description = match status {
            403 => "Forbidden: bot was blocked by the user",
            429 => "Too Many Requests: retry later",
            400 => "Bad Request: group chat was upgraded to a supergroup chat",
            _ => "Internal Server Error",
        };
        let mut answer = json!({ "ok": false, "error_code": status, "description": description });
        if let Some(parameters) = parameters {
            answer["parameters"] = parameters;
        }
        self.inner.failures.lock().unwrap().push(Failure {
            method: method.to_ascii_lowercase(),
            chat,
            status,
            answer,
            count,
        });
    }

    /// From now on sendMessage to `chat` answers after `delay` (the message is received at once).
    pub fn delay_chat(&self, chat: i64, delay: Duration) {
        self.inner.delays.lock().unwrap().insert(chat, delay);
    }

    /// The next `count` messages to `chat` are shown to the user, and then the connection drops
    /// before the answer is complete: the sender cannot know the message went out.
    pub fn drop_after_receiving(&self, chat: i64, count: u32) {
        self.inner.drops.lock().unwrap().insert(chat, count);
    }

    /// Makes the next `count` messages to `chat` get an answer that is not JSON (as from a
    /// broken proxy): a transient failure teloxide reports at once.
    pub fn garble_chat(&self, chat: i64, count: u32) {
        self.inner.failures.lock().unwrap().push(Failure {
            method: "sendmessage".into(),
            chat: Some(chat),
            status: 200,
            answer: Value::Null,
            count,
        });
    }

    /// sendMessage calls after `n` recorded messages hang (`None` lifts it).
    pub fn stall_after(&self, n: Option<usize>) {
        *self.inner.stall_after.lock().unwrap() = n;
    }

    /// Every sendMessage call to `chat` whose text contains `containing`: when, and the status
    /// answered.
    pub fn attempts_to(&self, chat: i64, containing: &str) -> Vec<(Instant, u16)> {
        self.inner
            .attempts
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _, _, text)| *c == chat && text.contains(containing))
            .map(|(_, at, status, _)| (*at, *status))
            .collect()
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.inner.sent.lock().unwrap().clone()
    }

    pub fn messages_to(&self, chat_id: i64) -> Vec<Sent> {
        self.by_method("sendmessage", chat_id)
    }

    fn by_method(&self, method: &str, chat_id: i64) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.method == method && s.chat_id == chat_id)
            .collect()
    }

    /// Waits (up to a deadline) for a message to `chat_id` that satisfies `pred`.
    pub async fn wait_for_message(
        &self,
        chat_id: i64,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Sent {
        self.wait_for("sendmessage", chat_id, what, pred).await
    }

    /// Waits (up to a deadline) for a message in `chat_id` rewritten to satisfy `pred`.
    pub async fn wait_for_edit(
        &self,
        chat_id: i64,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Sent {
        self.wait_for("editmessagetext", chat_id, what, pred).await
    }

    async fn wait_for(
        &self,
        method: &str,
        chat_id: i64,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> Sent {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.inner.new_message.notified();
            if let Some(found) = self
                .by_method(method, chat_id)
                .into_iter()
                .find(|s| pred(&s.text))
            {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "no {method} to {chat_id} {what} within the deadline; sent: {:#?}",
                    self.by_method(method, chat_id)
                        .iter()
                        .map(|s| &s.text)
                        .collect::<Vec<_>>()
                );
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// An update (without its id) carrying a private message `text` from `user_id`.
pub fn text_update(user_id: i64, text: &str) -> Value {
    let mut message = private_message(user_id);
    with_text(&mut message, text);
    json!({ "message": message })
}

/// Sets a message's text, marking a leading /command as Telegram does.
fn with_text(message: &mut Value, text: &str) {
    message["text"] = json!(text);
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        message["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": command.encode_utf16().count() }]);
    }
}

fn private_message(user_id: i64) -> Value {
    json!({
        "message_id": 1,
        "date": now(),
        "chat": { "id": user_id, "type": "private", "first_name": "Ann" },
        "from": { "id": user_id, "is_bot": false, "first_name": "Ann", "last_name": "Lee", "username": format!("user{user_id}"), "language_code": "en" },
    })
}

/// The text fields of a multipart/form-data body (teloxide sends setWebhook that way), as a
/// JSON object.
fn multipart_fields(body: &[u8]) -> Value {
    let text = String::from_utf8_lossy(body);
    let Some(boundary) = text.lines().next().map(str::trim) else {
        return Value::Null;
    };
    let mut fields = serde_json::Map::new();
    for part in text.split(boundary) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        fields.insert(
            name.to_string(),
            json!(value.trim_end_matches("\r\n").trim_end_matches("--")),
        );
    }
    Value::Object(fields)
}

/// A message's length as Telegram limits it: UTF-16 code units of the text it shows (with HTML,
/// tags count nothing and an entity one character).
fn shown_length(text: &str, html: bool) -> usize {
    if !html {
        return text.encode_utf16().count();
    }
    let mut shown = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => shown.push(c),
            _ => {}
        }
    }
    for (entity, c) in [
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&amp;", "&"),
    ] {
        shown = shown.replace(entity, c);
    }
    shown.encode_utf16().count()
}

fn ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path((_token, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    // teloxide writes `SendMessage`, the Bot API documents `sendMessage`: compare without case.
    let method = method.to_ascii_lowercase();
    let body: Value = serde_json::from_slice(&body).unwrap_or_else(|_| multipart_fields(&body));
    inner
        .calls
        .lock()
        .unwrap()
        .push((method.clone(), body.clone()));
    if std::env::var_os("TEST_LOG").is_some() {
        eprintln!(
            "fake telegram {:?}: {method} {body}",
            std::time::SystemTime::now()
        );
    }
    let chat = body["chat_id"].as_i64();
    if method == "sendmessage" {
        let stall = *inner.stall_after.lock().unwrap();
        if stall.is_some_and(|n| inner.sent.lock().unwrap().len() >= n) {
            return std::future::pending().await;
        }
    }
    let failure = {
        let mut failures = inner.failures.lock().unwrap();
        failures
            .iter_mut()
            .find(|f| f.count > 0 && f.method == method && (f.chat.is_none() || f.chat == chat))
            .map(|f| {
                f.count -= 1;
                (f.status, f.answer.clone())
            })
    };
    if method == "sendmessage" {
        let status = failure.as_ref().map_or(200, |(s, _)| *s);
        let text = body["text"].as_str().unwrap_or_default().to_string();
        inner.attempts.lock().unwrap().push((
            chat.unwrap_or_default(),
            Instant::now(),
            status,
            text,
        ));
        let delay = inner
            .delays
            .lock()
            .unwrap()
            .get(&chat.unwrap_or_default())
            .copied();
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
    }
    if let Some((status, answer)) = failure {
        if answer.is_null() {
            return "<html>bad gateway</html>".into_response();
        }
        return (StatusCode::from_u16(status).unwrap(), Json(answer)).into_response();
    }
    if method == "sendmessage" {
        let text = body["text"].as_str().unwrap_or_default();
        if shown_length(text, body["parse_mode"] == "HTML") > 4096 {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({
                    "ok": false, "error_code": 400,
                    "description": "Bad Request: message is too long",
                })),
            )
                .into_response();
        }
    }
    match method.as_str() {
        "getme" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "otpgram", "username": BOT_USERNAME,
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getchatmember" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let user_id = body["user_id"].as_i64().unwrap_or_default();
            let user = json!({ "id": user_id, "is_bot": false, "first_name": "Member" });
            if inner.admins.lock().unwrap().contains(&(chat_id, user_id)) {
                ok(json!({ "status": "creator", "user": user, "is_anonymous": false }))
            } else {
                ok(json!({ "status": "member", "user": user }))
            }
        }
        "getwebhookinfo" => {
            ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }))
        }
        "getupdates" => get_updates(&inner, &body).await,
        "editmessagetext" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            inner.sent.lock().unwrap().push(Sent {
                method: method.clone(),
                chat_id,
                text: text.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
            inner.new_message.notify_waiters();
            ok(json!({
                "message_id": body["message_id"], "date": now(), "edit_date": now(),
                "chat": { "id": chat_id, "type": "private", "first_name": "Ann" },
                "from": { "id": BOT_ID, "is_bot": true, "first_name": "otpgram", "username": BOT_USERNAME },
                "text": text,
            }))
        }
        "sendmessage" => {
            let chat_id = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            let message_id = {
                let mut id = inner.next_message_id.lock().unwrap();
                *id += 1;
                *id
            };
            inner.sent.lock().unwrap().push(Sent {
                method: method.clone(),
                chat_id,
                text: text.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
            inner.new_message.notify_waiters();
            let dropped = {
                let mut drops = inner.drops.lock().unwrap();
                match drops.get_mut(&chat_id) {
                    Some(left) if *left > 0 => {
                        *left -= 1;
                        true
                    }
                    _ => false,
                }
            };
            if dropped {
                // Headers go out, then the body fails: hyper resets the connection mid-answer.
                let broken = futures::stream::iter([Err::<Bytes, std::io::Error>(
                    std::io::Error::other("connection dropped"),
                )]);
                return Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from_stream(broken))
                    .unwrap();
            }
            ok(json!({
                "message_id": message_id, "date": now(),
                "chat": { "id": chat_id, "type": "private", "first_name": "Ann" },
                "from": { "id": BOT_ID, "is_bot": true, "first_name": "otpgram", "username": BOT_USERNAME },
                "text": text,
            }))
        }
        _ => ok(json!(true)),
    }
}

/// Counts a getUpdates call in flight while alive.
struct PollGuard<'a>(&'a Inner);

impl<'a> PollGuard<'a> {
    fn new(inner: &'a Inner) -> Self {
        let mut polls = inner.polls.lock().unwrap();
        polls.0 += 1;
        polls.1 = polls.1.max(polls.0);
        Self(inner)
    }
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.0.polls.lock().unwrap().0 -= 1;
    }
}

async fn get_updates(inner: &Inner, body: &Value) -> Response {
    let _guard = PollGuard::new(inner);
    // An offset confirms every update below it, for every later poller (as Telegram does).
    let offset = {
        let mut confirmed = inner.confirmed.lock().unwrap();
        *confirmed = (*confirmed).max(body["offset"].as_i64().unwrap_or(0));
        *confirmed
    };
    // Answer at most after one second, so a stopping bot is never held long.
    let wait = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0).min(1));
    let deadline = Instant::now() + wait;
    loop {
        let notified = inner.new_update.notified();
        let pending: Vec<Value> = inner
            .updates
            .lock()
            .unwrap()
            .iter()
            .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
            .cloned()
            .collect();
        let left = deadline.saturating_duration_since(Instant::now());
        if !pending.is_empty() || left.is_zero() {
            return ok(Value::Array(pending));
        }
        let _ = tokio::time::timeout(left, notified).await;
    }
}
