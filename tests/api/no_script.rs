//! The hosted page as a browser without JavaScript (or a text-mode browser, or a screen reader
//! reading before scripts) gets it: drawn by the server in the customer's language, every step
//! a form. A code typed into the form lands on the client's callback with a code that trades
//! for tokens; another site's form changes nothing.

use reqwest::StatusCode;
use url::Url;

use crate::{
    helpers::{TestApp, spawn_app},
    oidc::{ANN, ANN_PHONE, As, CALLBACK, VERIFIER, param, pkce_url, register, set_cookie, trade},
};

const FORM_COOKIE: &str = "otpgram_form";

/// The page as a browser without scripts has it: its HTML, its form token (cookie and field
/// alike) and the request its forms carry.
struct Page {
    html: String,
    token: String,
    request: String,
}

async fn open(app: &TestApp, url: &Url) -> Page {
    let response = app.http.get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    // The page's forms end on the client's callback: the policy lets them go there, only.
    assert!(
        policy.contains("form-action 'self' https://bozor.example;"),
        "{policy}"
    );
    let token = set_cookie(&response, FORM_COOKIE).expect("the form token's cookie");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!("name=\"csrf\" value=\"{token}\"")),
        "{html}"
    );
    let request = field(&html, "request");
    Page {
        html,
        token,
        request,
    }
}

/// The value of the first hidden field `name` in `html`, unescaped.
fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).expect("the field") + marker.len();
    let value = &html[start..start + html[start..].find('"').unwrap()];
    value
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Posts a form of the page as the browser would: from the page's origin, with its cookie.
async fn post(
    app: &TestApp,
    page: &Page,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("request", page.request.as_str()),
        ("csrf", page.token.as_str()),
    ];
    form.extend_from_slice(fields);
    // A browser follows the last step's redirect to the client; here it is read instead.
    let browser = reqwest::ClientBuilder::new()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    browser
        .post(app.url(path))
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("{FORM_COOKIE}={}", page.token))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The text of the element with `id` (its first text, as the page has it).
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let start = html.find(&marker).expect("the element");
    let from = start + html[start..].find('>').unwrap() + 1;
    html[from..from + html[from..].find('<').unwrap()].to_string()
}

#[tokio::test]
async fn without_a_script_the_page_speaks_the_customers_language_and_logs_in_by_forms() {
    let app = spawn_app().await;
    let (client_id, secret) = register(&app, "confidential", CALLBACK).await;
    let secret = secret.unwrap();
    app.link(ANN, ANN_PHONE).await;
    let url = pkce_url(&app, &client_id, CALLBACK, &[("ui_locales", "ru")]);

    let page = open(&app, &url).await;
    // Everything a customer reads is there before any script runs, in Russian.
    for text in [
        "<title>Вход на Bozor.uz</title>",
        "Войти через Telegram",
        "Номер телефона",
        "Прислать код",
        "action=\"/login/form/code\"",
    ] {
        assert!(page.html.contains(text), "{text} missing");
    }

    // A phone the page cannot read: the page again, saying so.
    let wrong = post(&app, &page, "/login/form/code", &[("phone", "12")]).await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let html = wrong.text().await.unwrap();
    assert_eq!(text_of(&html, "status"), "Номер телефона указан неверно.");

    let asked = post(&app, &page, "/login/form/code", &[("phone", ANN_PHONE)]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let html = asked.text().await.unwrap();
    assert!(
        text_of(&html, "status").starts_with("Код отправлен в Telegram"),
        "{html}"
    );
    assert!(
        html.contains("id=\"code-form\" method=\"post\" action=\"/login/form/verify\" novalidate>")
    );
    assert_eq!(field(&html, "phone"), ANN_PHONE);
    let code = app.nth_code_for(ANN, 1).await;

    let mistyped = post(
        &app,
        &page,
        "/login/form/verify",
        &[("phone", ANN_PHONE), ("code", "000000")],
    )
    .await;
    assert_eq!(mistyped.status(), StatusCode::BAD_REQUEST);
    let html = mistyped.text().await.unwrap();
    assert_eq!(text_of(&html, "status"), "Код неверный или устарел.");

    let verified = post(
        &app,
        &page,
        "/login/form/verify",
        &[("phone", ANN_PHONE), ("code", &code)],
    )
    .await;
    assert_eq!(verified.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&verified, "otpgram_login").is_some());
    let back = Url::parse(verified.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    assert_eq!(param(&back, "state").as_deref(), Some("st-123"));
    let code = param(&back, "code").expect("an authorization code");
    let (status, tokens) = trade(
        &app,
        &code,
        CALLBACK,
        VERIFIER,
        As::Basic(&client_id, &secret),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn another_sites_form_sends_no_code_and_logs_nobody_in() {
    let app = spawn_app().await;
    let (client_id, _) = register(&app, "confidential", CALLBACK).await;
    app.link(ANN, ANN_PHONE).await;
    let url = pkce_url(&app, &client_id, CALLBACK, &[]);
    let page = open(&app, &url).await;
    let form = [
        ("request", page.request.as_str()),
        ("csrf", page.token.as_str()),
        ("phone", ANN_PHONE),
    ];
    let code_form = app.url("/login/form/code");
    let attempts = [
        // An attacker's page posting the form: the browser says where it comes from, and
        // sends no SameSite=Strict cookie.
        app.http
            .post(&code_form)
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(&form),
        // The same, from a browser that says nothing of where it comes from: no form token.
        app.http.post(&code_form).form(&form),
        // A token copied from a page the attacker fetched himself, without its cookie.
        app.http
            .post(&code_form)
            .header("cookie", format!("{FORM_COOKIE}={}", "x".repeat(32)))
            .form(&form),
        // Another site in the same browser, with the cookie sent along (SameSite relaxed).
        app.http
            .post(&code_form)
            .header("sec-fetch-site", "same-site")
            .header("cookie", format!("{FORM_COOKIE}={}", page.token))
            .form(&form),
        // A body that is not a form.
        app.http
            .post(&code_form)
            .header("origin", &app.address)
            .header("cookie", format!("{FORM_COOKIE}={}", page.token))
            .header("content-type", "text/plain")
            .body("phone=+998901234400"),
    ];
    for (i, attempt) in attempts.into_iter().enumerate() {
        let response = attempt.send().await.unwrap();
        assert!(
            [StatusCode::FORBIDDEN, StatusCode::UNSUPPORTED_MEDIA_TYPE]
                .contains(&response.status()),
            "attempt {i}: {}",
            response.status()
        );
    }
    // The same, as the page itself posts it, works: the refusals were the only difference.
    let asked = post(&app, &page, "/login/form/code", &[("phone", ANN_PHONE)]).await;
    assert_eq!(asked.status(), StatusCode::OK);
    app.nth_code_for(ANN, 1).await;
    let sent = app
        .telegram
        .messages_to(ANN)
        .iter()
        .filter(|m| crate::helpers::code_in(&m.text).is_some())
        .count();
    assert_eq!(sent, 1, "only the page's own form sent a code");
}
