//! The sandbox's pretend Gateway API: otpgram's real Gateway channel, pointed here in
//! development, delivers codes to pretend users who never opened the bot, in a "Verification
//! Codes" chat of their own. A phone no pretend user has is "not on Telegram".

use axum::{
    Json,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::Sandbox;

/// The path the pretend Gateway is served under (`<path>/<method>`).
pub(crate) const GATEWAY_PATH: &str = "/sandbox/gateway";

/// The token the pretend Gateway takes (development only).
pub(crate) const GATEWAY_TOKEN: &str = "sandbox-gateway-token";

pub(crate) async fn call(
    State(sandbox): State<Sandbox>,
    Path(method): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let refuse = |error: &str| Json(json!({ "ok": false, "error": error })).into_response();
    match method.as_str() {
        "sendVerificationMessage" => {
            let phone = body["phone_number"].as_str().unwrap_or_default();
            let code = body["code"].as_str().unwrap_or_default();
            let ttl = body["ttl"].as_u64().unwrap_or(60);
            match sandbox.world.verification_code(phone, code, ttl) {
                Some(request_id) => Json(json!({
                    "ok": true,
                    "result": {
                        "request_id": request_id,
                        "phone_number": phone,
                        "request_cost": 0.0,
                        "delivery_status": { "status": "sent", "updated_at": super::world::now() },
                        "payload": body["payload"],
                    }
                }))
                .into_response(),
                None => refuse("PHONE_NUMBER_INVALID"),
            }
        }
        "checkVerificationStatus" => Json(json!({
            "ok": true,
            "result": { "request_id": body["request_id"], "request_cost": 0.0 }
        }))
        .into_response(),
        "revokeVerificationMessage" => Json(json!({ "ok": true, "result": true })).into_response(),
        _ => refuse("METHOD_NOT_FOUND"),
    }
}
