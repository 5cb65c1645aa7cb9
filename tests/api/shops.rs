//! Shops, owner links and the chats that subscribe to them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, eventually, link_token, spawn_app},
    telegram::BOT_USERNAME,
};

const OWNER: i64 = 6001;
const STAFF: i64 = 6002;
const GROUP: i64 = -100_600;

async fn shop(app: &TestApp, id: &str) -> Value {
    let response = app
        .service(Method::GET, &format!("/api/v1/shops/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn wait_for_chats(app: &TestApp, id: &str, n: usize) -> Vec<Value> {
    eventually(10, "the subscription", || async {
        let chats = shop(app, id).await["chats"].as_array().unwrap().clone();
        (chats.len() == n).then_some(chats)
    })
    .await
}

#[tokio::test]
async fn the_service_api_needs_a_service_key() {
    let app = spawn_app().await;
    let no_key = app
        .post_json("/api/v1/shops", json!({ "name": "Tea House" }))
        .await;
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        no_key.json::<Value>().await.unwrap()["error"],
        "unauthorized"
    );
    let wrong = app
        .http
        .post(app.url("/api/v1/shops"))
        .bearer_auth("test-service-key-0123456780")
        .json(&json!({ "name": "Tea House" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // A customer's access token is no service key either.
    let get = app
        .http
        .get(app.url("/api/v1/shops/00000000-0000-0000-0000-000000000000"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_new_shop_gets_an_owner_deep_link() {
    let app = spawn_app().await;
    let response = app
        .service(Method::POST, "/api/v1/shops")
        .json(&json!({ "name": "Tea House" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["name"], "Tea House");
    let link = body["owner_link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("https://t.me/{BOT_USERNAME}?start=shop_")),
        "{link}"
    );
    assert!(
        link.len() > 40,
        "the token is long enough to be unguessable: {link}"
    );
    let shown = shop(&app, body["id"].as_str().unwrap()).await;
    assert_eq!(shown["name"], "Tea House");
    assert_eq!(shown["chats"], json!([]));
}

#[tokio::test]
async fn the_owner_subscribes_by_opening_the_deep_link() {
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    app.telegram
        .wait_for_message(OWNER, "confirmation", |t| {
            t.contains("receives new orders of “Tea House”")
        })
        .await;
    let chats = wait_for_chats(&app, &id, 1).await;
    assert_eq!(chats[0]["chat_id"], OWNER);
    assert_eq!(chats[0]["type"], "private");
    assert!(chats[0]["since"].is_string());

    app.telegram.send_text(OWNER, "/status");
    app.telegram
        .wait_for_message(OWNER, "status", |t| {
            t.contains("receives orders of: Tea House")
        })
        .await;
}

#[tokio::test]
async fn a_group_admin_links_the_group_and_a_member_cannot() {
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    app.telegram.make_admin(GROUP, OWNER);

    app.telegram
        .send_group_text(GROUP, STAFF, &format!("/link {token}"));
    app.telegram
        .wait_for_message(GROUP, "refusal", |t| t.contains("Only an administrator"))
        .await;
    assert!(
        shop(&app, &id).await["chats"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    app.telegram
        .send_group_text(GROUP, OWNER, &format!("/link@{BOT_USERNAME} shop_{token}"));
    app.telegram
        .wait_for_message(GROUP, "confirmation", |t| t.contains("receives new orders"))
        .await;
    let chats = wait_for_chats(&app, &id, 1).await;
    assert_eq!(chats[0]["chat_id"], GROUP);
    assert_eq!(chats[0]["type"], "group");
    assert_eq!(chats[0]["title"], "Shop staff");

    // A member cannot unlink either; the admin can.
    app.telegram.send_group_text(GROUP, STAFF, "/unlink");
    eventually(10, "second refusal", || async {
        (app.telegram
            .messages_to(GROUP)
            .iter()
            .filter(|m| m.text.contains("Only an administrator"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    app.telegram.send_group_text(GROUP, OWNER, "/unlink");
    app.telegram
        .wait_for_message(GROUP, "unlinked", |t| {
            t.contains("no longer receives orders of: Tea House")
        })
        .await;
    wait_for_chats(&app, &id, 0).await;
}

#[tokio::test]
async fn a_rotated_link_stops_working() {
    let app = spawn_app().await;
    let (id, old_token) = app.create_shop("Tea House").await;
    let rotated = app
        .service(Method::POST, &format!("/api/v1/shops/{id}/link/rotate"))
        .send()
        .await
        .unwrap();
    assert_eq!(rotated.status(), StatusCode::OK);
    let body: Value = rotated.json().await.unwrap();
    let link = body["owner_link"].as_str().unwrap();
    assert!(!link.contains(&old_token));

    app.telegram
        .send_text(OWNER, &format!("/start shop_{old_token}"));
    app.telegram
        .wait_for_message(OWNER, "refusal", |t| t.contains("no longer valid"))
        .await;
    app.telegram.send_text(OWNER, "/start shop_made-up-token");
    eventually(10, "second refusal", || async {
        (app.telegram
            .messages_to(OWNER)
            .iter()
            .filter(|m| m.text.contains("no longer valid"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    assert!(
        shop(&app, &id).await["chats"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let new_token = link.rsplit_once("start=shop_").unwrap().1;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{new_token}"));
    wait_for_chats(&app, &id, 1).await;
}

#[tokio::test]
async fn the_backend_can_remove_a_chat() {
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    wait_for_chats(&app, &id, 1).await;
    let path = format!("/api/v1/shops/{id}/chats/{OWNER}");
    assert_eq!(
        app.service(Method::DELETE, &path)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    assert!(
        shop(&app, &id).await["chats"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let again = app.service(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "chat_not_found"
    );
}

#[tokio::test]
async fn unknown_shops_and_bad_names_get_clear_errors() {
    let app = spawn_app().await;
    for id in ["00000000-0000-0000-0000-000000000000", "not-a-uuid"] {
        let response = app
            .service(Method::GET, &format!("/api/v1/shops/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "shop_not_found"
        );
    }
    let response = app
        .service(Method::POST, "/api/v1/shops")
        .json(&json!({ "name": "   " }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["message"].as_str().unwrap().contains("name"));
}

/// Mints another owner link for the shop; returns its token.
async fn another_link(app: &TestApp, id: &str) -> String {
    let response = app
        .service(Method::POST, &format!("/api/v1/shops/{id}/links"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert!(body["expires_at"].is_string());
    link_token(&body)
}

async fn refused(app: &TestApp, chat: i64, nth: usize) {
    eventually(10, "the refusal", || async {
        (app.telegram
            .messages_to(chat)
            .iter()
            .filter(|m| m.text.contains("no longer valid"))
            .count()
            >= nth)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn an_owner_link_subscribes_one_chat_and_then_no_other() {
    const STRANGER: i64 = 6003;
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    wait_for_chats(&app, &id, 1).await;
    // The link leaked: someone else opens it.
    app.telegram
        .send_text(STRANGER, &format!("/start shop_{token}"));
    refused(&app, STRANGER, 1).await;
    // The owner tapping it again is fine.
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    eventually(10, "the second confirmation", || async {
        (app.telegram
            .messages_to(OWNER)
            .iter()
            .filter(|m| m.text.contains("receives new orders"))
            .count()
            == 2)
            .then_some(())
    })
    .await;
    let chats = wait_for_chats(&app, &id, 1).await;
    assert_eq!(chats[0]["chat_id"], OWNER);
}

#[tokio::test]
async fn an_unused_link_expires() {
    use entity::shop_link;
    use sea_orm::{EntityTrait, sea_query::Expr};
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    // A week passes (the link's expiry is what the database says).
    shop_link::Entity::update_many()
        .col_expr(
            shop_link::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::TimeDelta::seconds(1)),
        )
        .exec(app.state.database())
        .await
        .unwrap();
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    refused(&app, OWNER, 1).await;
    assert!(
        shop(&app, &id).await["chats"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn new_links_leave_the_others_working_and_rotation_ends_the_unused_ones() {
    const OTHER: i64 = 6004;
    let app = spawn_app().await;
    let (id, first) = app.create_shop("Tea House").await;
    let second = another_link(&app, &id).await;
    let unused = another_link(&app, &id).await;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{first}"));
    wait_for_chats(&app, &id, 1).await;
    app.telegram
        .send_text(OTHER, &format!("/start shop_{second}"));
    wait_for_chats(&app, &id, 2).await;

    let rotated: Value = app
        .service(Method::POST, &format!("/api/v1/shops/{id}/link/rotate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    app.telegram
        .send_text(STAFF, &format!("/start shop_{unused}"));
    refused(&app, STAFF, 1).await;
    let fresh = link_token(&rotated);
    app.telegram
        .send_text(STAFF, &format!("/start shop_{fresh}"));
    wait_for_chats(&app, &id, 3).await;
}

#[tokio::test]
async fn subscribed_chats_hear_of_every_new_one_and_the_group_token_is_deleted() {
    let app = spawn_app().await;
    let (id, token) = app.create_shop("Tea House").await;
    app.telegram
        .send_text(OWNER, &format!("/start shop_{token}"));
    wait_for_chats(&app, &id, 1).await;

    let second = another_link(&app, &id).await;
    app.telegram.make_admin(GROUP, STAFF);
    app.telegram
        .send_group_text(GROUP, STAFF, &format!("/link {second}"));
    let notice = app
        .telegram
        .wait_for_message(OWNER, "the new-chat notice", |t| {
            t.contains("Another chat now receives")
        })
        .await;
    assert!(notice.text.contains("Tea House"), "{}", notice.text);
    assert!(
        notice.text.contains("the group “Shop staff”"),
        "{}",
        notice.text
    );
    assert!(
        notice.text.contains(&format!("@user{STAFF}")),
        "{}",
        notice.text
    );
    wait_for_chats(&app, &id, 2).await;
    // The token was read and then taken out of the group's sight.
    let deleted = eventually(10, "deleteMessage", || async {
        app.telegram
            .calls_of("deleteMessage")
            .into_iter()
            .find(|call| call["chat_id"] == GROUP)
    })
    .await;
    assert_eq!(deleted["message_id"], 1);
    // The group itself is not told about itself.
    assert!(
        app.telegram
            .messages_to(GROUP)
            .iter()
            .all(|m| !m.text.contains("Another chat"))
    );
}
