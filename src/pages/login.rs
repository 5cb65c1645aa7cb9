//! The hosted login page: OpenID Connect's authorization endpoint. `GET /login` checks the
//! request (an unknown client or a foreign redirect URI is shown here, never followed; other
//! errors go back to the client) and serves the page; the page logs the customer in through
//! the JSON API (one tap, or a code), then `POST /login/authorize` trades that session for an
//! authorization code and says where to go with it.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use rust_embed::Embed;
use serde::Serialize;
use serde_json::json;
use url::Url;

use crate::{
    api::{ApiError, extract::bearer},
    core::{
        oidc::{self, AuthRequest, Authorized, Refused, RefusedOr},
        session,
    },
    error::Error,
    state::AppState,
    telegram::texts::Lang,
};

#[derive(Embed)]
#[folder = "web/login/"]
struct Assets;

/// Only otpgram's own files, no frames (the widget opens a popup), nothing sent elsewhere.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
    frame-ancestors 'none'";

/// `GET /login?client_id=…&redirect_uri=…&response_type=code&scope=openid…`
pub async fn page(
    State(state): State<AppState>,
    Query(request): Query<AuthRequest>,
    headers: HeaderMap,
) -> Response {
    let lang = language(&state, request.ui_locales.as_deref(), &headers);
    let authorized = match oidc::authorize(&state, &request).await {
        Ok(authorized) => authorized,
        Err(RefusedOr::Refused(Refused::Here { error, message })) => {
            return refusal_page(lang, error, &message);
        }
        Err(RefusedOr::Refused(Refused::Back { to, error, message })) => {
            return back_with_error(&state, &to, error, &message);
        }
        Err(RefusedOr::Failed(err)) => return ApiError::from(err).into_response(),
    };
    let config = json!({
        "lang": lang.code(),
        "site": authorized.client_name,
        "request": request,
        "code_length": state.otp.length,
    });
    let Some(template) = Assets::get("index.html") else {
        return ApiError::NotFound.into_response();
    };
    let html = String::from_utf8_lossy(&template.data)
        .replace("{{LANG}}", lang.code())
        .replace("{{CONFIG}}", &script_safe(&config.to_string()));
    page_response(StatusCode::OK, html)
}

/// JSON inside `<script>`: nothing in it may close the element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn page_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

/// The page's language: `ui_locales`, else the browser's `Accept-Language`, else the default.
fn language(state: &AppState, ui_locales: Option<&str>, headers: &HeaderMap) -> Lang {
    let asked = ui_locales
        .into_iter()
        .flat_map(str::split_whitespace)
        .find_map(Lang::parse);
    let browser = || {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|part| part.split(';').next())
            .find_map(|code| Lang::parse(code.trim()))
    };
    asked.or_else(browser).unwrap_or(state.bot.default_language)
}

/// A request that cannot go back to the client: said here, in the customer's language.
fn refusal_page(lang: Lang, error: &str, message: &str) -> Response {
    let title = match lang {
        Lang::En => "This login link does not work",
        Lang::Ru => "Эта ссылка для входа не работает",
        Lang::Uz => "Bu kirish havolasi ishlamaydi",
    };
    let hint = match lang {
        Lang::En => "Go back to the shop's site and try again.",
        Lang::Ru => "Вернитесь на сайт магазина и попробуйте снова.",
        Lang::Uz => "Do‘kon saytiga qayting va qaytadan urinib ko‘ring.",
    };
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/login/assets/login.css\"></head>\
         <body><main class=\"card\"><h1>{title}</h1><p>{hint}</p>\
         <p class=\"muted\"><code id=\"error\">{}</code>: {}</p></main></body></html>",
        lang.code(),
        escape(error),
        escape(message),
    );
    page_response(StatusCode::BAD_REQUEST, html)
}

fn escape(text: &str) -> String {
    crate::telegram::texts::escape_html(text)
}

/// The client's redirect URI with the answer's `params`, then the client's `state` and the
/// issuer (RFC 9207), in its query.
fn answer_url(state: &AppState, to: &Authorized, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(&to.redirect_uri) else {
        return to.redirect_uri.clone();
    };
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(params);
        if let Some(client_state) = to.state.as_deref() {
            query.append_pair("state", client_state);
        }
        if let Some(issuer) = state.oidc.issuer.as_deref() {
            query.append_pair("iss", issuer);
        }
    }
    url.to_string()
}

fn error_url(state: &AppState, to: &Authorized, error: &str, message: &str) -> String {
    answer_url(
        state,
        to,
        &[("error", error), ("error_description", message)],
    )
}

fn back_with_error(state: &AppState, to: &Authorized, error: &str, message: &str) -> Response {
    Redirect::to(&error_url(state, to, error, message)).into_response()
}

/// Where the page goes once the customer is logged in.
#[derive(Serialize)]
struct Finished {
    /// The client's redirect URI, with the code (or an error) and `state`.
    redirect_to: String,
    /// The widget's popup hands the code to its opener instead.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    web_message: Option<WebMessage>,
}

#[derive(Serialize)]
struct WebMessage {
    web_message: bool,
    code: String,
    state: Option<String>,
    /// The redirect URI's origin: the only one the code is posted to.
    target_origin: String,
}

/// `POST /login/authorize` with the authorization request, from the page, with the session it
/// just opened (`Authorization: Bearer`).
pub async fn finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Json(request): axum::Json<AuthRequest>,
) -> Result<Response, ApiError> {
    // Bearer only: a cookie would ride along on a request another site of the same site (an
    // allowed CORS origin) makes, and hand it a code for the customer.
    let token = bearer(&headers).ok_or(Error::Unauthorized)?;
    let session = session::authenticate(&state, &token).await?;
    let authorized = match oidc::authorize(&state, &request).await {
        Ok(authorized) => authorized,
        Err(RefusedOr::Refused(Refused::Here { message, .. })) => {
            return Err(Error::Invalid {
                field: "client_id".into(),
                message,
            }
            .into());
        }
        Err(RefusedOr::Refused(Refused::Back { to, error, message })) => {
            return Ok(axum::Json(Finished {
                redirect_to: error_url(&state, &to, error, &message),
                web_message: None,
            })
            .into_response());
        }
        Err(RefusedOr::Failed(err)) => return Err(err.into()),
    };
    let code = oidc::issue_code(&state, &authorized, &session).await?;
    let web_message = authorized
        .web_message
        .then(|| Url::parse(&authorized.redirect_uri).ok())
        .flatten()
        .map(|url| WebMessage {
            web_message: true,
            code: code.clone(),
            state: authorized.state.clone(),
            target_origin: url.origin().ascii_serialization(),
        });
    Ok(axum::Json(Finished {
        redirect_to: answer_url(&state, &authorized, &[("code", &code)]),
        web_message,
    })
    .into_response())
}

/// The page's files.
pub async fn file(Path(name): Path<String>) -> Response {
    asset(&name)
}

/// `GET /widget.js`: any page may load it.
pub async fn widget() -> Response {
    asset("widget.js")
}

fn asset(name: &str) -> Response {
    // The page itself is served only through `page` (it is a template).
    (name != "index.html")
        .then(|| super::embedded::<Assets>(name, "public, max-age=300"))
        .flatten()
        .unwrap_or_else(|| ApiError::NotFound.into_response())
}
