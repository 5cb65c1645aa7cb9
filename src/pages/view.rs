//! The hosted login page as the server draws it, in the customer's language, every text from
//! `locales/`. Each step is a form that works without a script (`crate::pages::forms`); the
//! script, when it runs, takes the same steps in place and says what it says from the same
//! texts, handed to it in the page.

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::json;
use url::Url;

use crate::{
    core::oidc::{AuthRequest, Authorized},
    http::ApiError,
    state::AppState,
    texts::{Lang, page::LoginTexts},
};

use super::card;

/// One hosted page: who it is for, in which language, and the form token its forms carry.
pub(super) struct LoginPage {
    lang: Lang,
    texts: LoginTexts,
    bot: Option<String>,
    request: AuthRequest,
    /// Where the page's forms may end up: otpgram, and the client's redirect URI.
    redirect_origin: Option<String>,
    csrf: String,
    code_length: u32,
    no_code_hint_after: u64,
    signed_in: bool,
}

/// Which step the page shows.
pub(super) enum Step {
    /// The phone (and one tap); `phone` is what was typed, if anything.
    Start { phone: String },
    /// A code is on its way to `phone`.
    Code { phone: String },
    /// A one-tap login, waiting for the customer in Telegram.
    Tap(Tap),
}

/// A one-tap login as the page shows it.
pub(super) struct Tap {
    pub login_id: String,
    pub poll_token: String,
    pub link: String,
    pub number: u8,
    /// The link as an SVG QR code (otpgram's own drawing).
    pub qr: String,
}

/// What the page's status line says.
pub(super) enum Said {
    Nothing,
    Fine(String),
    Wrong(String),
}

#[derive(Template)]
#[template(path = "login.html")]
struct Html<'a> {
    lang: &'static str,
    t: &'a LoginTexts,
    bot: Option<&'a str>,
    config: String,
    request: String,
    csrf: &'a str,
    phone: &'a str,
    code_step: bool,
    tap: Option<&'a Tap>,
    status: &'a str,
    status_is_error: bool,
}

impl LoginPage {
    pub(super) async fn new(
        state: &AppState,
        lang: Lang,
        authorized: &Authorized,
        request: AuthRequest,
        csrf: String,
        signed_in: bool,
    ) -> Self {
        let bot = state
            .telegram
            .bot_username()
            .await
            .ok()
            .filter(|name| !name.is_empty());
        Self {
            lang,
            texts: LoginTexts::new(lang, &authorized.client_name, bot.as_deref()),
            bot,
            request,
            redirect_origin: form_target(&authorized.redirect_uri),
            csrf,
            code_length: state.otp.length,
            no_code_hint_after: state.login.no_code_hint_after.as_secs(),
            signed_in,
        }
    }

    pub(super) fn texts(&self) -> &LoginTexts {
        &self.texts
    }

    /// What the page says for `err`, and the status it answers with.
    pub(super) fn error(&self, err: &ApiError) -> (StatusCode, Said) {
        err.log_if_unexpected();
        let text = self.texts.error(err.code()).to_string();
        (err.status(), Said::Wrong(text))
    }

    /// The page at `step` again, saying what went wrong.
    pub(super) fn failed(&self, err: &ApiError, step: &Step) -> Response {
        let (status, said) = self.error(err);
        self.render(status, step, said)
    }

    /// The page at `step`.
    pub(super) fn render(&self, status: StatusCode, step: &Step, said: Said) -> Response {
        let config = json!({
            "lang": self.lang.code(),
            "request": self.request,
            "code_length": self.code_length,
            // "No code? Open @bot", offered to every phone alike once this long has passed.
            "bot": self.bot,
            "no_code_hint_after": self.no_code_hint_after,
            // The widget's popup finishes at once from a live session.
            "signed_in": self.signed_in,
            "texts": self.texts,
        });
        let (phone, code_step, tap) = match step {
            Step::Start { phone } => (phone.as_str(), false, None),
            Step::Code { phone } => (phone.as_str(), true, None),
            Step::Tap(tap) => ("", false, Some(tap)),
        };
        let (status_text, status_is_error) = match &said {
            Said::Nothing => ("", false),
            Said::Fine(text) => (text.as_str(), false),
            Said::Wrong(text) => (text.as_str(), true),
        };
        let html = Html {
            lang: self.lang.code(),
            t: &self.texts,
            bot: self.bot.as_deref(),
            config: script_safe(&config.to_string()),
            request: serde_json::to_string(&self.request).unwrap_or_default(),
            csrf: &self.csrf,
            phone,
            code_step,
            tap,
            status: status_text,
            status_is_error,
        };
        match html.render() {
            Ok(html) => card::response(status, self.policy(), html),
            Err(err) => ApiError::from(crate::error::Error::Internal(err.into())).into_response(),
        }
    }

    /// The page's policy: a form that signs the customer in ends on the client's redirect URI,
    /// so that is the one other place a form may lead.
    fn policy(&self) -> HeaderValue {
        let Some(origin) = &self.redirect_origin else {
            return HeaderValue::from_static(card::POLICY);
        };
        let policy = card::POLICY.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        );
        HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static(card::POLICY))
    }
}

/// A redirect URI as a CSP source: its origin (`https://shop.example`), or its scheme for an
/// app's own (`uz.bozor.app:`).
fn form_target(redirect_uri: &str) -> Option<String> {
    let url = Url::parse(redirect_uri).ok()?;
    let origin = url.origin();
    let source = if origin.is_tuple() {
        origin.ascii_serialization()
    } else {
        format!("{}:", url.scheme())
    };
    // Nothing that could end the directive or add another.
    source
        .bytes()
        .all(|b| b.is_ascii_graphic() && b != b';' && b != b',' && b != b'\'')
        .then_some(source)
}

/// JSON inside `<script>`: nothing in it may close the element.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}
