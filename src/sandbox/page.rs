//! The page at `/sandbox` that plays a Telegram app for pretend users, and the JSON it calls:
//! make users and groups, write to the bot, share a phone, press buttons, and see the bot's
//! messages arrive live (server-sent events).

use std::{convert::Infallible, time::Duration};

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::stream::{self, Stream};
use rust_embed::Embed;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use super::{
    Sandbox,
    world::{BOT_USERNAME, Refused, User},
};
use crate::{
    domain::{Lang, Phone},
    texts::page::LoginTexts,
};

/// The page's files, embedded in the binary.
#[derive(Embed)]
#[folder = "web/sandbox/"]
struct Assets;

/// A refusal in the API's error shape.
pub(crate) struct Problem(StatusCode, &'static str, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.1, "message": self.2 });
        (self.0, Json(body)).into_response()
    }
}

impl From<Refused> for Problem {
    fn from(refused: Refused) -> Self {
        let (status, code) = match refused {
            Refused::UnknownUser => (StatusCode::NOT_FOUND, "unknown_user"),
            Refused::UnknownChat => (StatusCode::NOT_FOUND, "unknown_chat"),
            Refused::UnknownMessage => (StatusCode::NOT_FOUND, "unknown_message"),
            Refused::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        };
        Problem(status, code, refused.to_string())
    }
}

/// `GET /sandbox` and its files.
pub(crate) async fn page() -> Response {
    asset("index.html")
}

pub(crate) async fn file(Path(name): Path<String>) -> Response {
    asset(&name)
}

fn asset(name: &str) -> Response {
    crate::assets::embedded::<Assets>(name, "no-cache").unwrap_or_else(|| {
        Problem(StatusCode::NOT_FOUND, "not_found", "no such file".into()).into_response()
    })
}

/// The bot's name, the pretend users and groups.
pub(crate) async fn world(State(sandbox): State<Sandbox>) -> Response {
    Json(json!({
        "bot": { "username": BOT_USERNAME },
        // What the shop's panel tells the customer, in the hosted page's own words.
        "texts": LoginTexts::new(Lang::En, "", Some(BOT_USERNAME)),
        "users": sandbox.world.users(),
        "groups": sandbox.world.groups(),
        // Chats with Telegram's "Verification Codes" (the Gateway's messages).
        "verification_chats": sandbox.world.verification_chats().into_iter()
            .map(|(user, chat)| json!({ "user": user, "chat": chat }))
            .collect::<Vec<_>>(),
    }))
    .into_response()
}

#[derive(Deserialize)]
pub(crate) struct NewUser {
    first_name: String,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    phone: String,
    #[serde(default)]
    language: Option<String>,
    /// A Telegram id to use; one is picked when absent.
    #[serde(default)]
    id: Option<i64>,
}

fn blank_to_none(value: Option<String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub(crate) async fn add_user(
    State(sandbox): State<Sandbox>,
    Json(new): Json<NewUser>,
) -> Result<Response, Problem> {
    let first_name = new.first_name.trim().to_string();
    if first_name.is_empty() || first_name.chars().count() > 64 {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "first_name: 1 to 64 characters".into(),
        ));
    }
    let phone = Phone::parse(&new.phone, None).map_err(|_| {
        Problem(
            StatusCode::BAD_REQUEST,
            "invalid_phone",
            "phone: an international number, e.g. +998901234567".into(),
        )
    })?;
    let language = match new.language.as_deref().map(str::trim) {
        None | Some("") => "en".to_string(),
        Some(code) if code.len() <= 8 => code.to_string(),
        Some(_) => {
            return Err(Problem(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "language: a language code, e.g. uz".into(),
            ));
        }
    };
    let user = sandbox.world.add_user(User {
        id: new.id.unwrap_or(0),
        first_name,
        last_name: blank_to_none(new.last_name),
        username: blank_to_none(new.username),
        phone: phone.as_str().to_string(),
        language,
    })?;
    Ok((StatusCode::CREATED, Json(user)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct NewGroup {
    title: String,
    /// The user who makes the group and adds the bot to it.
    admin: i64,
}

pub(crate) async fn add_group(
    State(sandbox): State<Sandbox>,
    Json(new): Json<NewGroup>,
) -> Result<Response, Problem> {
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 128 {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "title: 1 to 128 characters".into(),
        ));
    }
    let group = sandbox.world.add_group(title, new.admin)?;
    Ok((StatusCode::CREATED, Json(group)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct Member {
    user: i64,
}

pub(crate) async fn join_group(
    State(sandbox): State<Sandbox>,
    Path(group): Path<i64>,
    Json(member): Json<Member>,
) -> Result<Response, Problem> {
    Ok(Json(sandbox.world.join_group(group, member.user)?).into_response())
}

pub(crate) async fn messages(State(sandbox): State<Sandbox>, Path(chat): Path<i64>) -> Response {
    Json(sandbox.world.messages(chat)).into_response()
}

#[derive(Deserialize)]
pub(crate) struct Say {
    from: i64,
    text: String,
}

/// A pretend user writes in a chat (commands included).
pub(crate) async fn say(
    State(sandbox): State<Sandbox>,
    Path(chat): Path<i64>,
    Json(say): Json<Say>,
) -> Result<Response, Problem> {
    let message = sandbox.world.send_text(chat, say.from, &say.text)?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct Share {
    from: i64,
}

/// A pretend user shares their own phone number with the bot.
pub(crate) async fn share_contact(
    State(sandbox): State<Sandbox>,
    Json(share): Json<Share>,
) -> Result<Response, Problem> {
    let message = sandbox.world.share_contact(share.from)?;
    Ok((StatusCode::CREATED, Json(message)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct Press {
    from: i64,
    message_id: i64,
    data: String,
}

/// A pretend user presses an inline button under one of the bot's messages.
pub(crate) async fn press(
    State(sandbox): State<Sandbox>,
    Path(chat): Path<i64>,
    Json(press): Json<Press>,
) -> Result<Response, Problem> {
    sandbox
        .world
        .press(chat, press.from, press.message_id, &press.data)?;
    Ok(StatusCode::ACCEPTED.into_response())
}

/// Every message as it is sent, edited or deleted (the page keeps the ones of the open chat).
pub(crate) async fn events(
    State(sandbox): State<Sandbox>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let receiver = sandbox.world.subscribe();
    let events = stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(message) => Event::default()
                .event("message")
                .json_data(&message)
                .unwrap_or_default(),
            // A slow page missed some: it reloads the chat.
            Err(RecvError::Lagged(_)) => Event::default().event("reload").data(""),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
