//! Logging out of otpgram (OpenID Connect RP-Initiated Logout): a client's ID token ends the
//! login session at once; without one the customer is asked; the customer is sent back only to
//! an address the client registered.

use reqwest::StatusCode;
use serde_json::{Value, json};
use url::Url;

use crate::{
    helpers::{SERVICE_KEY, TestApp, spawn_app},
    oidc::{As, CALLBACK, LOGIN_COOKIE, VERIFIER, log_in, param, pkce_url, set_cookie, trade},
};

const BYE: &str = "https://bozor.example/goodbye";

fn no_redirects() -> reqwest::Client {
    reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn register_with_logout(app: &TestApp) -> String {
    let response = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(SERVICE_KEY)
        .json(&json!({
            "name": "Bozor.uz", "redirect_uris": [CALLBACK], "type": "public",
            "post_logout_redirect_uris": [BYE],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["post_logout_redirect_uris"], json!([BYE]));
    body["client_id"].as_str().unwrap().to_string()
}

/// Whether the login session `cookie` still signs the customer in (single sign-on answers at
/// once with a code).
async fn still_signed_in(app: &TestApp, client: &str, cookie: &str) -> bool {
    let response = get(pkce_url(app, client, CALLBACK, &[]).as_str(), cookie).await;
    response.status() == StatusCode::SEE_OTHER
}

async fn get(url: &str, cookie: &str) -> reqwest::Response {
    no_redirects()
        .get(url)
        .header("cookie", format!("{LOGIN_COOKIE}={cookie}"))
        .send()
        .await
        .unwrap()
}

/// An ID token for the customer signed in with `cookie`.
async fn id_token(app: &TestApp, client: &str, cookie: &str) -> String {
    let response = get(pkce_url(app, client, CALLBACK, &[]).as_str(), cookie).await;
    let back = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = param(&back, "code").unwrap();
    let (_, tokens) = trade(app, &code, CALLBACK, VERIFIER, As::Public(client)).await;
    tokens["id_token"].as_str().unwrap().to_string()
}

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&app.url("/logout")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

#[tokio::test]
async fn the_clients_id_token_ends_the_session_and_the_customer_returns_to_the_shop() {
    let app = spawn_app().await;
    let discovery: Value = app
        .http
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["end_session_endpoint"], app.url("/logout"));
    let client = register_with_logout(&app).await;
    let cookie = log_in(&app).await;
    let hint = id_token(&app, &client, &cookie).await;
    assert!(still_signed_in(&app, &client, &cookie).await);

    let url = logout_url(
        &app,
        &[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", BYE),
            ("state", "bye-1"),
        ],
    );
    let response = get(&url, &cookie).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("{BYE}?state=bye-1").as_str()
    );
    assert_eq!(set_cookie(&response, LOGIN_COOKIE).as_deref(), Some(""));
    assert!(
        !still_signed_in(&app, &client, &cookie).await,
        "the next login asks again"
    );
}

#[tokio::test]
async fn the_customer_is_sent_only_where_the_client_registered() {
    let app = spawn_app().await;
    let client = register_with_logout(&app).await;
    let cookie = log_in(&app).await;
    let hint = id_token(&app, &client, &cookie).await;
    for params in [
        vec![
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![
            ("client_id", client.as_str()),
            ("post_logout_redirect_uri", "https://bozor.example/goodbye/"),
        ],
        // No client to check the address against.
        vec![("post_logout_redirect_uri", BYE)],
        vec![("id_token_hint", "not.an.id-token")],
        vec![
            ("id_token_hint", hint.as_str()),
            ("client_id", "another-client"),
        ],
    ] {
        let response = get(&logout_url(&app, &params), &cookie).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(response.headers().get("location").is_none());
        let html = response.text().await.unwrap();
        assert!(html.contains("invalid_request"), "{html}");
    }
    assert!(
        still_signed_in(&app, &client, &cookie).await,
        "nothing ended"
    );
}

#[tokio::test]
async fn without_a_hint_the_customer_is_asked_and_a_forged_form_ends_nothing() {
    let app = spawn_app().await;
    let client = register_with_logout(&app).await;
    let cookie = log_in(&app).await;
    let url = logout_url(
        &app,
        &[
            ("client_id", &client),
            ("post_logout_redirect_uri", BYE),
            ("state", "s-9"),
            ("ui_locales", "ru"),
        ],
    );
    let page = get(&url, &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        policy.contains("form-action 'self' https://bozor.example"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Выйти из otpgram?") && html.contains("Bozor.uz"),
        "{html}"
    );
    assert!(
        still_signed_in(&app, &client, &cookie).await,
        "asking ends nothing"
    );
    let confirm = html
        .split("name=\"confirm\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's proof")
        .to_string();

    let post = |proof: String| {
        let (app, client, cookie) = (&app, client.clone(), cookie.clone());
        async move {
            no_redirects()
                .post(app.url("/logout"))
                .header("cookie", format!("{LOGIN_COOKIE}={cookie}"))
                .form(&[
                    ("confirm", proof),
                    ("client_id", client),
                    ("post_logout_redirect_uri", BYE.to_string()),
                    ("state", "s-9".to_string()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Another page's form cannot know the proof: it is asked again, and nothing ends.
    let forged = post("guessed".into()).await;
    assert_eq!(forged.status(), StatusCode::OK);
    assert!(still_signed_in(&app, &client, &cookie).await);

    let confirmed = post(confirm).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        confirmed.headers()["location"],
        format!("{BYE}?state=s-9").as_str()
    );
    assert!(!still_signed_in(&app, &client, &cookie).await);

    // Logged out already, with nowhere to go: it says so.
    let done = get(&app.url("/logout?ui_locales=uz"), &cookie).await;
    assert_eq!(done.status(), StatusCode::OK);
    assert!(done.text().await.unwrap().contains("Siz chiqdingiz"));
}

#[tokio::test]
async fn a_logout_address_is_checked_like_a_redirect_uri() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/v1/clients"))
        .bearer_auth(SERVICE_KEY)
        .json(&json!({
            "name": "Bozor.uz", "redirect_uris": [CALLBACK],
            "post_logout_redirect_uris": ["http://bozor.example/bye"],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("post_logout_redirect_uris"),
        "{body}"
    );
}
