//! The hosted page without a script: each step is a form posted to otpgram, answered with the
//! page at the next step, and the last one with a `303` to the client's redirect URI carrying
//! the code. The same core calls as the script's (`crate::pages::sign_in`), the same limits;
//! every form carries the page's form token and comes from otpgram's own origin (the guard in
//! `pages::router`), so another site cannot post one from a visitor's browser.

use std::time::Duration;

use axum::{
    Form,
    extract::{FromRequest, Request, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use crate::{
    api::one_tap::user_agent,
    core::{
        oidc::{self, AuthRequest, Authorized},
        one_tap::{self, Waited},
        session::Method,
    },
    error::Error,
    http::{ApiError, extract::ClientAddress},
    state::AppState,
    texts::Lang,
};

use super::{
    card,
    login::{self, form_token_matches},
    sign_in,
    view::{LoginPage, Said, Step, Tap},
};

/// How long "I have confirmed in Telegram" waits for the answer before showing the page again.
const CONFIRM_WAIT: Duration = Duration::from_secs(5);

/// What the page's forms post: the authorization request the page is for (as JSON), the form
/// token, and the step's own fields.
#[derive(Deserialize)]
pub(super) struct Fields {
    request: String,
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    poll_token: String,
    #[serde(default)]
    number: String,
}

/// A form checked: its fields, the request it is for (accepted again, as on `GET /login`), and
/// the page to answer with.
pub(super) struct Posted {
    fields: Fields,
    authorized: Authorized,
    page: LoginPage,
}

impl FromRequest<AppState> for Posted {
    /// A refusal, or the answer back to the client.
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let headers = req.headers().clone();
        let jar = CookieJar::from_headers(&headers);
        let form = Form::<Fields>::from_request(req, state).await;
        posted(state, &headers, &jar, form).await
    }
}

/// Checks a posted form; the `Err` is the answer (a refusal, or back to the client).
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    jar: &CookieJar,
    form: Result<Form<Fields>, FormRejection>,
) -> Result<Posted, Response> {
    let default = state.bot.default_language;
    let fields = match form {
        Ok(Form(fields)) => fields,
        Err(err) => {
            tracing::info!(error = %err.body_text(), "refused a login form that does not read");
            return Err(refused(default, StatusCode::BAD_REQUEST));
        }
    };
    if !form_token_matches(jar, &fields.csrf) {
        tracing::info!("refused a login form without its form token");
        return Err(refused(default, StatusCode::FORBIDDEN));
    }
    let request = match serde_json::from_str::<AuthRequest>(&fields.request) {
        Ok(request) => request,
        Err(err) => {
            tracing::info!(error = %err, "refused a login form whose request does not read");
            return Err(refused(default, StatusCode::BAD_REQUEST));
        }
    };
    let lang = card::language(state, request.ui_locales.as_deref(), headers);
    let authorized = oidc::authorize(&state.oidc, &request)
        .await
        .map_err(|err| login::refused(state, lang, err))?;
    let page = LoginPage::new(
        state,
        lang,
        &authorized,
        request,
        fields.csrf.clone(),
        false,
    )
    .await;
    Ok(Posted {
        fields,
        authorized,
        page,
    })
}

/// A form that cannot be taken: said on a card, in the deployment's language (nothing in it can
/// be trusted to say which).
fn refused(lang: Lang, status: StatusCode) -> Response {
    let texts = crate::texts::page::LoginTexts::new(lang, "", None);
    let said = if status == StatusCode::FORBIDDEN {
        texts.error("forbidden_origin")
    } else {
        texts.error("unavailable")
    };
    card::card(
        lang,
        status,
        axum::http::HeaderValue::from_static(card::POLICY),
        &texts.footer,
        &format!("<p id=\"status\">{}</p>", card::escape(said)),
    )
}

/// `POST /login/form/code`: a code for the phone typed; the page then asks for it.
pub(super) async fn request_code(State(state): State<AppState>, posted: Posted) -> Response {
    let Posted {
        fields,
        authorized,
        page,
    } = posted;
    let phone = fields.phone.trim().to_string();
    let sent = match state.otp.phone(&phone) {
        Ok(parsed) => state
            .codes
            .request_code_for(&parsed, sign_in::site(&authorized))
            .await
            .map_err(ApiError::from),
        Err(invalid) => Err(ApiError::from(invalid)),
    };
    match sent {
        Ok(_) => {
            let said = Said::Fine(page.texts().sent.clone());
            page.render(StatusCode::OK, &Step::Code { phone }, said)
        }
        Err(err) => page.failed(&err, &Step::Start { phone }),
    }
}

/// `POST /login/form/verify`: the code typed; right, and the browser goes back to the client
/// with an authorization code.
pub(super) async fn verify(
    State(state): State<AppState>,
    jar: CookieJar,
    posted: Posted,
) -> Response {
    let Posted {
        fields,
        authorized,
        page,
    } = posted;
    let phone = fields.phone.trim().to_string();
    let signed_in = async {
        let parsed = state.otp.phone(&phone)?;
        let user = state
            .codes
            .consume_code(&parsed, fields.code.trim())
            .await?;
        finish(&state, jar, &authorized, user.id, Method::Otp).await
    };
    match signed_in.await {
        Ok(answer) => answer,
        Err(err) => page.failed(&err, &Step::Code { phone }),
    }
}

/// `POST /login/form/telegram`: a one-tap login; the page shows its link, QR code and number.
pub(super) async fn start_one_tap(
    State(state): State<AppState>,
    headers: HeaderMap,
    posted: Posted,
) -> Response {
    let site = sign_in::site(&posted.authorized);
    let page = posted.page;
    let tap = async {
        let started = state
            .one_tap
            .start(user_agent(&headers), Some(site))
            .await?;
        Ok::<_, ApiError>(Tap {
            qr: one_tap::qr_svg(&started.link)?,
            login_id: started.login_id,
            poll_token: started.poll_token,
            link: started.link,
            number: started.number,
        })
    };
    match tap.await {
        Ok(tap) => {
            let said = Said::Fine(page.texts().waiting.clone());
            page.render(StatusCode::OK, &Step::Tap(tap), said)
        }
        Err(err) => page.failed(
            &err,
            &Step::Start {
                phone: String::new(),
            },
        ),
    }
}

/// `POST /login/form/telegram/done`: "I have confirmed in Telegram". Approved, and the browser
/// goes back to the client; not yet, and the page shows the same login again.
pub(super) async fn one_tap_done(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    jar: CookieJar,
    posted: Posted,
) -> Response {
    let Posted {
        fields,
        authorized,
        page,
    } = posted;
    let start = Step::Start {
        phone: String::new(),
    };
    let waited = state
        .one_tap
        .wait(&fields.login_id, &fields.poll_token, from, CONFIRM_WAIT)
        .await;
    let said = match waited {
        Ok(Waited::Approved(user)) => {
            return match finish(&state, jar, &authorized, user.id, Method::Telegram).await {
                Ok(answer) => answer,
                Err(err) => page.failed(&err, &start),
            };
        }
        Ok(Waited::Pending) => {
            let again = async {
                let link = state
                    .one_tap
                    .link_for(&fields.login_id, &fields.poll_token)
                    .await?;
                Ok::<_, ApiError>(Tap {
                    qr: one_tap::qr_svg(&link)?,
                    login_id: fields.login_id.clone(),
                    poll_token: fields.poll_token.clone(),
                    link,
                    number: fields.number.parse().unwrap_or_default(),
                })
            };
            return match again.await {
                Ok(tap) => {
                    let said = Said::Fine(page.texts().waiting.clone());
                    page.render(StatusCode::OK, &Step::Tap(tap), said)
                }
                Err(err) => page.failed(&err, &start),
            };
        }
        Ok(Waited::Denied) => Said::Wrong(page.texts().denied.clone()),
        Ok(Waited::Expired) | Err(Error::LoginNotFound) => {
            Said::Wrong(page.texts().expired.clone())
        }
        Err(err) => page.error(&ApiError::from(err)).1,
    };
    page.render(StatusCode::OK, &start, said)
}

/// Opens the login session for `user_id` and sends the browser back to the client with a code.
async fn finish(
    state: &AppState,
    jar: CookieJar,
    authorized: &Authorized,
    user_id: uuid::Uuid,
    method: Method,
) -> Result<Response, ApiError> {
    let (jar, opened) = sign_in::open(state, jar, user_id, method).await?;
    let finished = login::answer(state, authorized, &opened.token, &opened.session).await?;
    Ok((jar, Redirect::to(&finished.redirect_to)).into_response())
}
