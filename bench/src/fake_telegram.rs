//! A minimal fake Telegram Bot API for load: answers instantly and remembers when each message
//! to each chat arrived. It serves HTTP/1.1 by hand (see `http.rs`) rather than through axum:
//! real Telegram runs on other machines, so the fake should take as little as it can of the
//! cores otpgram is measured on (with axum and JSON trees it took ~19 µs of CPU per message,
//! now ~12).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

use crate::http::read_message;

#[derive(Default)]
pub struct Inner {
    pub sent: Mutex<Vec<(i64, Instant, String)>>,
    /// Codes the Gateway side (`/gateway/sendVerificationMessage`) took.
    pub gateway_sends: std::sync::atomic::AtomicU64,
    updates: Mutex<Vec<Value>>,
    new_update: Notify,
}

#[derive(Clone)]
pub struct FakeTelegram {
    pub url: String,
    pub inner: Arc<Inner>,
}

impl FakeTelegram {
    pub async fn start() -> anyhow::Result<Self> {
        let inner = Arc::new(Inner::default());
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let serving = inner.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(serving.clone(), stream));
            }
        });
        Ok(Self { url, inner })
    }

    /// A private message `text` from `user`.
    pub fn message_from(&self, user: i64, text: &str) {
        let mut updates = self.inner.updates.lock().unwrap();
        let id = updates.len() as i64 + 1;
        let len = text.split_whitespace().next().unwrap_or(text).len();
        updates.push(json!({
            "update_id": id,
            "message": {
                "message_id": id, "date": 0,
                "chat": { "id": user, "type": "private", "first_name": "Owner" },
                "from": { "id": user, "is_bot": false, "first_name": "Owner" },
                "text": text,
                "entities": [{ "type": "bot_command", "offset": 0, "length": len }],
            }
        }));
        drop(updates);
        self.inner.new_update.notify_waiters();
    }

    /// Codes sent through the fake Gateway so far.
    pub fn gateway_sends(&self) -> u64 {
        self.inner
            .gateway_sends
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn sent(&self) -> Vec<(i64, Instant, String)> {
        self.inner.sent.lock().unwrap().clone()
    }
}

/// One keep-alive connection: `POST /bot<token>/<method>` with a JSON body, answered in turn.
async fn serve(inner: Arc<Inner>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut stream = BufReader::new(stream);
    let (mut start, mut body, mut out) = (String::new(), Vec::new(), Vec::new());
    while let Ok(true) = read_message(&mut stream, &mut start, &mut body).await {
        let path = start.split_whitespace().nth(1).unwrap_or_default();
        let method = path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let answer = answer(&inner, &method, &body).await;
        out.clear();
        out.extend_from_slice(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                answer.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(answer.as_bytes());
        if stream.get_mut().write_all(&out).await.is_err() {
            return;
        }
    }
}

fn ok(result: Value) -> String {
    json!({ "ok": true, "result": result }).to_string()
}

/// What `sendMessage` reads of its request.
#[derive(Deserialize)]
struct SendMessage {
    chat_id: i64,
    text: String,
}

async fn answer(inner: &Inner, method: &str, body: &[u8]) -> String {
    if method == "sendmessage" {
        let Ok(message) = serde_json::from_slice::<SendMessage>(body) else {
            return r#"{"ok":false,"error_code":400,"description":"Bad Request"}"#.to_string();
        };
        let chat = message.chat_id;
        inner
            .sent
            .lock()
            .unwrap()
            .push((chat, Instant::now(), message.text));
        // A Message as teloxide reads it; the text is not echoed back.
        return format!(
            r#"{{"ok":true,"result":{{"message_id":1,"date":0,"chat":{{"id":{chat},"type":"private","first_name":"Owner"}},"text":"sent"}}}}"#
        );
    }
    let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    match method {
        // The Gateway API, served here too (under `/gateway/`) for `login --gateway`.
        "sendverificationmessage" => {
            let n = inner
                .gateway_sends
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            ok(json!({
                "request_id": format!("bench{n}"),
                "phone_number": body["phone_number"],
                "request_cost": 0.01,
                "remaining_balance": 1000.0,
                "payload": body["payload"],
            }))
        }
        "getme" => ok(json!({
            "id": 1, "is_bot": true, "first_name": "bench", "username": "bench_bot",
            "can_join_groups": true, "can_read_all_group_messages": false,
            "supports_inline_queries": false, "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getwebhookinfo" => {
            ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }))
        }
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let deadline = Instant::now() + Duration::from_secs(1);
            loop {
                let notified = inner.new_update.notified();
                let pending: Vec<Value> = inner
                    .updates
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
                    .take(100)
                    .cloned()
                    .collect();
                let left = deadline.saturating_duration_since(Instant::now());
                if !pending.is_empty() || left.is_zero() {
                    return ok(Value::Array(pending));
                }
                let _ = tokio::time::timeout(left, notified).await;
            }
        }
        _ => ok(json!(true)),
    }
}
