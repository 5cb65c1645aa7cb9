//! The floor: the least any HTTP + Redis service built on otpgram's stack (axum, fred, tokio)
//! does for a wrong-code verify — parse a small JSON body, one Redis `GET`, a JSON `400`. It runs
//! as its own process (`otpgram-bench floor`), driven the same way as otpgram in the same run,
//! so every scenario's ratio to it says how close otpgram comes to what this machine allows.

use axum::{Json, Router, extract::State, http::StatusCode, routing::post};
use fred::prelude::{ClientLike, KeysInterface};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Guess {
    phone: String,
    #[allow(dead_code)]
    code: String,
}

async fn verify(
    State(redis): State<fred::clients::Pool>,
    Json(guess): Json<Guess>,
) -> (StatusCode, Json<Value>) {
    let stored: Option<String> = redis
        .next()
        .get(format!("floor:{}", guess.phone))
        .await
        .unwrap_or(None);
    let _ = stored;
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": "invalid_code", "message": "That code is wrong or expired." })),
    )
}

/// Serves `POST /verify` on `port` against the Redis on `redis_port`, until killed.
pub async fn serve(port: u16, redis_port: u16) -> anyhow::Result<()> {
    let config = fred::prelude::Config::from_url(&format!("redis://127.0.0.1:{redis_port}"))?;
    // As otpgram connects: four connections, no Nagle delay.
    let pool = fred::types::Builder::from_config(config)
        .with_connection_config(|c| {
            c.tcp = fred::prelude::TcpConfig {
                nodelay: Some(true),
                ..Default::default()
            };
        })
        .build_pool(4)?;
    pool.init().await?;
    let router = Router::new()
        .route("/verify", post(verify))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, router).await?;
    Ok(())
}
