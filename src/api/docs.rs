//! The OpenAPI 3.1 document (`GET /openapi.json`). Each handler describes itself with
//! `#[utoipa::path]`, and the routers register handlers through `utoipa_axum::routes!`, which
//! adds the route and its description together: a route cannot exist undocumented. What every
//! operation shares (security schemes, the 500/503 answers) is added here, once.

use utoipa::{
    OpenApi,
    openapi::{
        self, ContentBuilder, Ref, RefOr, ResponseBuilder, Schema,
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

/// The parts of the document no handler owns.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "otpgram",
        description = "Log shop customers in with one-time codes delivered by Telegram, and tell \
            shop owners about new orders in Telegram.\n\nErrors of the `/api/v1` API are \
            `{\"error\": \"snake_case_code\", \"message\": \"...\"}`; the older integration \
            shapes keep the error bodies their clients expect.",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(super::operations::openapi),
    tags(
        (name = "login", description = "The site's side of a login: request a code and verify \
            it, or start a one-tap login confirmed in Telegram and wait for it."),
        (name = "sessions", description = "Refresh, logout and the current user."),
        (name = "shops", description = "Shops and the Telegram chats told about their orders \
            (service key)."),
        (name = "notifications", description = "Order notifications (service key)."),
        (name = "openid", description = "otpgram as an OpenID Connect provider for the shops' \
            sites: discovery, keys, tokens, userinfo, and registering a site (service key)."),
        (name = "operations", description = "Health, readiness, metrics, Telegram's webhook."),
        (name = "legacy", description = "Drop-in shapes of older integrations, thin layers \
            over the same core."),
    )
)]
struct Base;

/// The base document, before the routers add their paths.
pub(super) fn base() -> openapi::OpenApi {
    Base::openapi()
}

/// Adds what every operation shares; called once the routers have added their paths.
pub(super) fn finish(mut doc: openapi::OpenApi) -> openapi::OpenApi {
    let components = doc.components.get_or_insert_with(Default::default);
    let schemes = [
        (
            "service_key",
            bearer("One of `SERVICE_API_KEYS`: the shop backend."),
        ),
        (
            "access_token",
            bearer("The access token (a JWT) of a session."),
        ),
        (
            "access_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "access_token",
                "The access token, as the httpOnly cookie set at login.",
            ))),
        ),
        (
            "bot_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Bot-Secret",
                "`BOT_SECRET`: a trusted bot calling the older integration endpoints.",
            ))),
        ),
        (
            "telegram_secret",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Telegram-Bot-Api-Secret-Token",
                "`TELEGRAM_WEBHOOK_SECRET`, sent by Telegram with every update.",
            ))),
        ),
        (
            "poll_token",
            bearer("The `poll_token` of a one-tap login: only the browser that began it has it."),
        ),
        (
            "oidc_access_token",
            bearer("An access token from `POST /oauth/token`."),
        ),
        (
            "metrics_token",
            bearer("`METRICS_TOKEN`, when one is configured."),
        ),
    ];
    for (name, scheme) in schemes {
        components.add_security_scheme(name, scheme);
    }

    // Any operation can meet a fault of ours, a dependency that is down, or the request timeout.
    // They come in the operation's error shape: the one its 413 uses (the older integrations
    // keep their own), else `ErrorBody`.
    let error = |description: &str, schema: RefOr<Schema>| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new().schema(Some(schema)).build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        for operation in operations(item) {
            let responses = &mut operation.responses.responses;
            let schema = json_schema(responses.get("413"))
                .unwrap_or_else(|| Ref::from_schema_name("ErrorBody").into());
            responses.entry("500".into()).or_insert_with(|| {
                error("`internal`: a fault on our side (logged).", schema.clone()).into()
            });
            responses.entry("503".into()).or_insert_with(|| {
                error(
                    "`unavailable`: Redis, the database or Telegram is down; `timeout`: the \
                     request took longer than `REQUEST_TIMEOUT_SECONDS`. Safe to retry.",
                    schema,
                )
                .into()
            });
        }
    }
    doc
}

/// The JSON body schema of a response written out in the document (not a `$ref`).
fn json_schema(response: Option<&RefOr<openapi::Response>>) -> Option<RefOr<Schema>> {
    let RefOr::T(response) = response? else {
        return None;
    };
    match response.content.get("application/json")? {
        RefOr::T(content) => content.schema.clone(),
        RefOr::Ref(_) => None,
    }
}

fn bearer(description: &str) -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(description))
            .build(),
    )
}

fn operations(item: &mut openapi::PathItem) -> impl Iterator<Item = &mut openapi::path::Operation> {
    [
        item.get.as_mut(),
        item.post.as_mut(),
        item.put.as_mut(),
        item.patch.as_mut(),
        item.delete.as_mut(),
    ]
    .into_iter()
    .flatten()
}
