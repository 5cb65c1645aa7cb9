//! A fake Telegram Gateway API on 127.0.0.1: it takes `sendVerificationMessage`,
//! `checkVerificationStatus` and `revokeVerificationMessage` over real HTTP, checks the token,
//! records every call, and fails on demand (flood waits, 5xx, named errors, numbers not on
//! Telegram).

use std::{
    collections::{HashSet, VecDeque},
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::{Value, json};

pub const GATEWAY_TOKEN: &str = "gateway-test-token";

/// How the fake answers a call it was told to fail.
#[derive(Clone, Debug)]
pub enum Failure {
    /// `FLOOD_WAIT_<seconds>` (HTTP 429).
    FloodWait(u64),
    /// This HTTP status with a plain-text body.
    Status(u16),
    /// `{"ok": false, "error": <name>}` (HTTP 400).
    Named(&'static str),
}

#[derive(Default)]
struct Inner {
    /// Every call: (method, body), answered or not.
    calls: Mutex<Vec<(String, Value)>>,
    failures: Mutex<VecDeque<Failure>>,
    /// Numbers that are not on Telegram.
    unreachable: Mutex<HashSet<String>>,
    next_id: Mutex<u64>,
    /// While true, a code is taken (and would reach the phone) but not yet answered.
    hold: tokio::sync::watch::Sender<bool>,
}

#[derive(Clone)]
pub struct FakeGateway {
    pub url: String,
    inner: Arc<Inner>,
}

/// One code the Gateway accepted.
#[derive(Clone, Debug)]
pub struct GatewaySend {
    pub phone: String,
    pub code: String,
    pub ttl: u64,
    pub payload: String,
    pub callback_url: Option<String>,
    pub request_id: String,
}

impl FakeGateway {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let router = Router::new()
            .route("/{method}", post(handle))
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

    /// The configuration that points an app at this fake.
    pub fn settings(&self) -> [(&'static str, String); 2] {
        [
            ("TELEGRAM_GATEWAY_TOKEN", GATEWAY_TOKEN.to_string()),
            ("TELEGRAM_GATEWAY_URL", self.url.clone()),
        ]
    }

    /// From now on `phone` (E.164) is not on Telegram.
    pub fn not_on_telegram(&self, phone: &str) {
        self.inner
            .unreachable
            .lock()
            .unwrap()
            .insert(phone.to_string());
    }

    /// The next calls (of any method) fail, one failure each, in order.
    /// From now on codes are taken but the answers wait for [`Self::release_answers`], as when
    /// Telegram delivers a message before its answer reaches otpgram.
    pub fn hold_answers(&self) {
        self.inner.hold.send_replace(true);
    }

    pub fn release_answers(&self) {
        self.inner.hold.send_replace(false);
    }

    pub fn fail_next(&self, failures: &[Failure]) {
        self.inner
            .failures
            .lock()
            .unwrap()
            .extend(failures.iter().cloned());
    }

    /// The bodies of every call of `method`, answered or not.
    pub fn calls_of(&self, method: &str) -> Vec<Value> {
        self.inner
            .calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, body)| body.clone())
            .collect()
    }

    /// Every `sendVerificationMessage` call for `phone`, answered or not.
    pub fn tries_for(&self, phone: &str) -> usize {
        self.calls_of("sendVerificationMessage")
            .iter()
            .filter(|body| body["phone_number"] == phone)
            .count()
    }

    /// The codes the Gateway accepted, in order.
    pub fn sent(&self) -> Vec<GatewaySend> {
        self.calls_of("accepted")
            .into_iter()
            .map(|body| GatewaySend {
                phone: body["phone_number"].as_str().unwrap_or_default().into(),
                code: body["code"].as_str().unwrap_or_default().into(),
                ttl: body["ttl"].as_u64().unwrap_or_default(),
                payload: body["payload"].as_str().unwrap_or_default().into(),
                callback_url: body["callback_url"].as_str().map(String::from),
                request_id: body["request_id"].as_str().unwrap_or_default().into(),
            })
            .collect()
    }

    /// The codes the Gateway accepted for `phone`.
    pub fn sent_to(&self, phone: &str) -> Vec<GatewaySend> {
        self.sent()
            .into_iter()
            .filter(|s| s.phone == phone)
            .collect()
    }
}

fn error(status: StatusCode, name: &str) -> Response {
    (status, Json(json!({ "ok": false, "error": name }))).into_response()
}

async fn handle(
    State(inner): State<Arc<Inner>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    inner
        .calls
        .lock()
        .unwrap()
        .push((method.clone(), body.clone()));
    let bearer = format!("Bearer {GATEWAY_TOKEN}");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(bearer.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "ACCESS_TOKEN_INVALID");
    }
    let failure = inner.failures.lock().unwrap().pop_front();
    match failure {
        Some(Failure::FloodWait(secs)) => {
            return error(StatusCode::TOO_MANY_REQUESTS, &format!("FLOOD_WAIT_{secs}"));
        }
        Some(Failure::Status(status)) => {
            let status = StatusCode::from_u16(status).unwrap();
            return (status, "Internal Server Error").into_response();
        }
        Some(Failure::Named(name)) => return error(StatusCode::BAD_REQUEST, name),
        None => {}
    }
    match method.as_str() {
        "sendVerificationMessage" => {
            let phone = body["phone_number"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            if inner.unreachable.lock().unwrap().contains(&phone) {
                return error(StatusCode::BAD_REQUEST, "PHONE_NUMBER_INVALID");
            }
            let n = {
                let mut next = inner.next_id.lock().unwrap();
                *next += 1;
                *next
            };
            let request_id = format!("req{n}");
            let mut accepted = body.clone();
            accepted["request_id"] = json!(request_id);
            inner
                .calls
                .lock()
                .unwrap()
                .push(("accepted".into(), accepted));
            let mut held = inner.hold.subscribe();
            let _ = held.wait_for(|held| !held).await;
            Json(json!({
                "ok": true,
                "result": {
                    "request_id": request_id,
                    "phone_number": phone,
                    "request_cost": 0.01,
                    "remaining_balance": 100.0 - 0.01 * n as f64,
                    "delivery_status": { "status": "sent", "updated_at": 0 },
                    "payload": body["payload"],
                }
            }))
            .into_response()
        }
        "checkVerificationStatus" => Json(json!({
            "ok": true,
            "result": {
                "request_id": body["request_id"],
                "request_cost": 0,
                "verification_status": { "status": "code_valid", "updated_at": 0 },
            }
        }))
        .into_response(),
        "revokeVerificationMessage" => Json(json!({ "ok": true, "result": true })).into_response(),
        _ => error(StatusCode::NOT_FOUND, "METHOD_NOT_FOUND"),
    }
}
