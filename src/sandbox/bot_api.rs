//! The Bot API the sandbox serves to otpgram's own bot, over real HTTP: the same teloxide
//! requests as against Telegram (`getMe`, `getUpdates`, `sendMessage`, …), answered from the
//! pretend [`World`](super::world::World).

use std::time::Duration;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{Sandbox, world::bot_me};

/// The token the sandbox bot uses (Telegram's shape: `<bot id>:<secret>`).
pub(crate) const TOKEN: &str = "5000000001:sandbox";

/// The longest a `getUpdates` waits (Telegram allows 50 s).
const MAX_POLL: Duration = Duration::from_secs(50);

fn ok(result: Value) -> Response {
    Json(json!({ "ok": true, "result": result })).into_response()
}

fn refused(status: StatusCode, description: &str) -> Response {
    let body = json!({ "ok": false, "error_code": status.as_u16(), "description": description });
    (status, Json(body)).into_response()
}

/// `POST /sandbox/telegram/bot<token>/<method>`.
pub(crate) async fn call(
    State(sandbox): State<Sandbox>,
    Path((bot_token, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    if bot_token.strip_prefix("bot") != Some(TOKEN) {
        return refused(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(body) => body,
            Err(_) => return refused(StatusCode::BAD_REQUEST, "Bad Request: expected JSON"),
        }
    };
    let world = &sandbox.world;
    let chat = body["chat_id"].as_i64();
    // teloxide writes `SendMessage`, the Bot API documents `sendMessage`: both are one method.
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_me()),
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let limit = body["limit"].as_u64().unwrap_or(100) as usize;
            let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0)).min(MAX_POLL);
            ok(Value::Array(world.updates(offset, limit, timeout).await))
        }
        "sendmessage" => {
            let text = body["text"].as_str().unwrap_or_default();
            if text.is_empty() {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: message text is empty",
                );
            }
            let sent = world.bot_sends(
                chat.unwrap_or_default(),
                text,
                body["parse_mode"].as_str(),
                body.get("reply_markup").cloned(),
            );
            match sent {
                Some(sent) => ok(sent),
                None => refused(StatusCode::BAD_REQUEST, "Bad Request: chat not found"),
            }
        }
        "editmessagetext" => {
            let edited = world.bot_edits(
                chat.unwrap_or_default(),
                body["message_id"].as_i64().unwrap_or_default(),
                body["text"].as_str().unwrap_or_default(),
                body["parse_mode"].as_str(),
                body.get("reply_markup").cloned(),
            );
            match edited {
                Some(edited) => ok(edited),
                None => refused(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: message to edit not found",
                ),
            }
        }
        "deletemessage" => {
            let message = body["message_id"].as_i64().unwrap_or_default();
            if world.delete(chat.unwrap_or_default(), message) {
                ok(json!(true))
            } else {
                refused(
                    StatusCode::BAD_REQUEST,
                    "Bad Request: message to delete not found",
                )
            }
        }
        "getchatmember" => {
            let user = body["user_id"].as_i64().unwrap_or_default();
            let Some(member) = sandbox.world.user(user) else {
                return refused(StatusCode::BAD_REQUEST, "Bad Request: user not found");
            };
            let member =
                json!({ "id": member.id, "is_bot": false, "first_name": member.first_name });
            if world.is_admin(chat.unwrap_or_default(), user) {
                ok(json!({ "status": "creator", "user": member, "is_anonymous": false }))
            } else {
                ok(json!({ "status": "member", "user": member }))
            }
        }
        "getwebhookinfo" => {
            ok(json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }))
        }
        // Accepted and of no consequence here: answerCallbackQuery, deleteWebhook,
        // setMyCommands, …
        _ => ok(json!(true)),
    }
}
