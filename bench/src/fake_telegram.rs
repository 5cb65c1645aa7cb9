//! A minimal fake Telegram Bot API for load: answers instantly and remembers when each message
//! to each chat arrived.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    routing::post,
};
use serde_json::{Value, json};
use tokio::sync::Notify;

#[derive(Default)]
pub struct Inner {
    pub sent: Mutex<Vec<(i64, Instant, String)>>,
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
        let router = Router::new()
            .route("/{token}/{method}", post(handle))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, router).await });
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

    pub fn sent(&self) -> Vec<(i64, Instant, String)> {
        self.inner.sent.lock().unwrap().clone()
    }
}

fn ok(result: Value) -> Json<Value> {
    Json(json!({ "ok": true, "result": result }))
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path((_, method)): Path<(String, String)>,
    body: Bytes,
) -> Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match method.to_ascii_lowercase().as_str() {
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
        "sendmessage" => {
            let chat = body["chat_id"].as_i64().unwrap_or_default();
            let text = body["text"].as_str().unwrap_or_default().to_string();
            inner
                .sent
                .lock()
                .unwrap()
                .push((chat, Instant::now(), text.clone()));
            ok(json!({
                "message_id": 1, "date": 0,
                "chat": { "id": chat, "type": "private", "first_name": "Owner" },
                "text": text,
            }))
        }
        _ => ok(json!(true)),
    }
}
