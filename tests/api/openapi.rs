//! `GET /openapi.json` describes the API that is really there: every route, and for each
//! operation only statuses and bodies it documents. (schemathesis, run by `scripts/test`, then
//! fuzzes the same document much harder.)

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{SERVICE_KEY, TestApp, spawn_app_with};

const BOT_SECRET: &str = "test-bot-secret-0123456789";
const WEBHOOK_SECRET: &str = "test-webhook-secret";

/// Every route of the service: adding or removing one must show in the document.
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/api/v1/otp/request"),
    ("post", "/api/v1/otp/verify"),
    ("post", "/api/v1/login/telegram"),
    ("get", "/api/v1/login/telegram/{login_id}"),
    ("get", "/api/v1/login/telegram/{login_id}/qr.svg"),
    ("get", "/.well-known/openid-configuration"),
    ("get", "/.well-known/jwks.json"),
    ("post", "/oauth/token"),
    ("get", "/oauth/userinfo"),
    ("post", "/oauth/revoke"),
    ("post", "/api/v1/clients"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("get", "/api/v1/me"),
    ("post", "/api/v1/shops"),
    ("get", "/api/v1/shops/{id}"),
    ("post", "/api/v1/shops/{id}/links"),
    ("post", "/api/v1/shops/{id}/link/rotate"),
    ("delete", "/api/v1/shops/{id}/chats/{chat_id}"),
    ("post", "/api/v1/notifications/orders"),
    ("get", "/api/v1/notifications/{id}"),
    ("post", "/telegram/webhook"),
    ("post", "/telegram/gateway/reports"),
    ("post", "/register"),
    ("post", "/verify"),
    ("post", "/api/auth/telegram-register/"),
    ("post", "/api/auth/telegram-login/"),
    ("post", "/api/auth/telegram-auth/"),
    ("post", "/api/token/refresh/"),
    ("post", "/api/v1/auth/telegram/otp/create/"),
    ("post", "/api/v1/auth/register/telegram/"),
    ("post", "/api/v1/auth/refresh/"),
    ("get", "/api/v1/auth/me/"),
    ("patch", "/api/v1/auth/me/"),
    ("post", "/api/v1/auth/logout/"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    response.json().await.unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    found
}

/// Every `$ref` in `value`.
fn refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                out.insert(target.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// The schema a `$ref` points to.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(target) => doc
            .pointer(target.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("{target} resolves")),
        None => schema,
    }
}

/// Whether `body` has the type and required properties `schema` asks for (one level deep: a
/// shallow check; schemathesis checks the rest).
fn matches(doc: &Value, schema: &Value, body: &Value) -> bool {
    let schema = resolve(doc, schema);
    if let Some(choices) = schema["oneOf"].as_array() {
        return choices.iter().any(|s| matches(doc, s, body));
    }
    match schema["type"].as_str() {
        Some("object") => {
            let Some(fields) = body.as_object() else {
                return false;
            };
            schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .all(|name| fields.contains_key(name.as_str().unwrap()))
        }
        Some("string") => body.is_string(),
        _ => true,
    }
}

#[tokio::test]
async fn the_document_lists_every_route_and_resolves() {
    let app = spawn_app_with(&[("BOT_SECRET", BOT_SECRET)]).await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "otpgram");

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, expected);

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&doc) {
        let what = format!("{method} {path}");
        let id = operation["operationId"].as_str().unwrap().to_string();
        assert!(ids.insert(id), "{what}: operationId is unique");
        assert!(operation["summary"].is_string(), "{what} has a summary");
        assert!(operation["tags"][0].is_string(), "{what} has a tag");
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{what} documents success"
        );
        // Faults and timeouts can happen anywhere; they come in the operation's error shape.
        let shape = |status: &str| &responses[status]["content"]["application/json"]["schema"];
        for status in ["500", "503"] {
            assert!(responses.contains_key(status), "{what} documents {status}");
            if responses.contains_key("413") {
                assert_eq!(
                    shape(status),
                    shape("413"),
                    "{what}: {status} in its error shape"
                );
            }
        }
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(
                    doc["components"]["securitySchemes"][scheme].is_object(),
                    "{what}: security scheme {scheme} is defined"
                );
            }
        }
    }

    let mut targets = BTreeSet::new();
    refs(&doc, &mut targets);
    assert!(targets.contains("#/components/schemas/ErrorBody"));
    for target in targets {
        assert!(
            doc.pointer(target.trim_start_matches('#')).is_some(),
            "{target} resolves"
        );
    }
}

/// Calls every documented operation, without credentials and then with wrong-shaped or
/// empty input but valid credentials, and checks each answer against the document.
#[tokio::test]
async fn every_operation_answers_as_documented() {
    let app = spawn_app_with(&[
        ("BOT_SECRET", BOT_SECRET),
        ("METRICS_TOKEN", "test-metrics-token"),
    ])
    .await;
    let doc = document(&app).await;
    // No cookies: each call stands alone.
    let http = reqwest::Client::new();
    let mut calls = 0;
    for (method, path, operation) in operations(&doc) {
        let url = app.url(
            &path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())
                .replace("{chat_id}", "-100123"),
        );
        let method: Method = method.to_uppercase().parse().unwrap();
        let bodies = [None, Some(json!({})), Some(json!({ "phone": 5 }))];
        for (credentials, body) in [false, true]
            .into_iter()
            .flat_map(|c| bodies.iter().map(move |b| (c, b)))
        {
            let mut request = http.request(method.clone(), &url);
            if credentials {
                request = request
                    .bearer_auth(SERVICE_KEY)
                    .header("x-bot-secret", BOT_SECRET)
                    .header("x-telegram-bot-api-secret-token", WEBHOOK_SECRET);
            }
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16().to_string();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string());
            let text = response.text().await.unwrap();
            let what = format!("{method} {path} (credentials: {credentials}, body: {body:?})");
            let documented = &operation["responses"][&status];
            assert!(
                documented.is_object(),
                "{what}: {status} is not documented; body {text}"
            );
            if let Some(schema) = documented["content"]["application/json"].get("schema") {
                assert_eq!(
                    content_type.as_deref(),
                    Some("application/json"),
                    "{what}: JSON is documented"
                );
                let body: Value = serde_json::from_str(&text).unwrap();
                assert!(
                    matches(&doc, schema, &body),
                    "{what}: {status} {body} does not match {schema}"
                );
            }
            calls += 1;
        }
    }
    assert_eq!(calls, ROUTES.len() * 6);
}

/// schemathesis fuzzes the running service with this document: no 5xx, and no answer the
/// document does not allow. `scripts/test` installs schemathesis and runs this test. Each
/// operation gets the credential its `security` names (a service key, a real session's access
/// token, the bot secret), so the handlers behind authentication are fuzzed too.
#[tokio::test]
#[ignore = "needs schemathesis (SCHEMATHESIS=path); run by scripts/test"]
async fn schemathesis_finds_nothing() {
    let schemathesis = std::env::var("SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    let app = spawn_app_with(&[
        ("BOT_SECRET", BOT_SECRET),
        // The per-IP limit would answer nearly everything with 429 and hide the handlers.
        ("RATE_LIMIT_PER_IP_PER_MINUTE", "0"),
    ])
    .await;
    // Two sessions: one for every operation, and one for logout to close.
    let phone = "+998901110022";
    let code = app.linked_code(7001, phone).await;
    let login: Value = app.verify(phone, &code).await.json().await.unwrap();
    let access_token = login["access_token"].as_str().unwrap();
    let tokens = otpgram::testing::start_session(
        &app.state,
        login["user"]["id"].as_str().unwrap().parse().unwrap(),
        otpgram::testing::SessionMethod::Otp,
    )
    .await
    .unwrap();

    // A one-tap login's poll token, so the wait and the QR code are tried past their 401.
    let one_tap: Value = app
        .http
        .post(app.url("/api/v1/login/telegram"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let poll_token = one_tap["poll_token"].as_str().unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        format!(
            "[auth.openapi.service_key]\nbearer = \"{SERVICE_KEY}\"\n\
             [auth.openapi.access_token]\nbearer = \"{access_token}\"\n\
             [auth.openapi.bot_secret]\napi_key = \"{BOT_SECRET}\"\n\
             [auth.openapi.poll_token]\nbearer = \"{poll_token}\"\n\
             [[operations]]\ninclude-path = \"/api/v1/auth/logout\"\n\
             headers = {{ Authorization = \"Bearer {}\" }}\n",
            tokens.access_token
        ),
    )
    .unwrap();
    let mut command = std::process::Command::new(&schemathesis);
    command
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(app.url("/openapi.json"))
        .args(["--checks", CHECKS])
        .args(["--max-examples", "40", "--seed", "1", "--no-color"])
        .arg("--report-dir")
        .arg(dir.path());
    let status = tokio::task::spawn_blocking(move || command.status())
        .await
        .unwrap()
        .unwrap_or_else(|e| panic!("could not run {schemathesis}: {e}"));
    assert!(status.success(), "schemathesis found problems (above)");
}

/// What schemathesis checks: no 5xx, statuses, content types, headers and bodies as documented,
/// and input the document forbids is refused.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance,negative_data_rejection";

#[tokio::test]
async fn the_older_shapes_document_telegram_ids_as_numbers_or_digit_strings() {
    let app = spawn_app_with(&[("BOT_SECRET", BOT_SECRET)]).await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for (schema, field) in [
        ("chat_tokens.ChatId", "telegram_chat_id"),
        ("chat_tokens.Register", "telegram_chat_id"),
        ("register_verify.Register", "telegram_id"),
        ("register_verify.Verify", "telegram_id"),
        ("bot_codes.CreateCode", "telegram_id"),
    ] {
        let mut property = schemas[schema]["properties"][field].clone();
        if let Some(reference) = property["$ref"].as_str() {
            let name = reference.rsplit('/').next().unwrap();
            property = schemas[name].clone();
        }
        let forms: Vec<&str> = property["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{schema}.{field}: {property:#}"))
            .iter()
            .map(|form| form["type"].as_str().unwrap())
            .collect();
        assert_eq!(forms, ["integer", "string"], "{schema}.{field}");
    }
}
