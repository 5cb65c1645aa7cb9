//! `login`: one-tap login in Telegram (and, later, the hosted login page): who is asking, and
//! how long a login link works.

use std::time::Duration;

use super::{AppEnv, ConfigError, env::Raw, invalid, seconds};

/// How one-tap logins behave.
#[derive(Clone, Debug)]
pub struct LoginConfig {
    /// `SITE_NAME`: the shop's name, shown when the bot asks "Log in to …?".
    pub site_name: Option<String>,
    /// `LOGIN_LINK_TTL_SECONDS`: how long a login link (and its QR code) works.
    pub link_ttl: Duration,
    /// `OIDC_ISSUER`: otpgram's public URL as an OpenID Connect provider. In development it
    /// defaults to the address otpgram listens on; in production OpenID Connect is off without
    /// it.
    pub oidc_issuer: Option<String>,
    /// `LOGIN_SESSION_TTL_SECONDS`: how long the hosted login page remembers a customer (its
    /// single sign-on session), from the moment they proved who they are.
    pub session_ttl: Duration,
    /// `TIME_ZONE`: the deployment's time zone, in which the one-tap confirmation tells the time.
    pub time_zone: chrono_tz::Tz,
    /// `LOGIN_NO_CODE_HINT_SECONDS`: how long the hosted page waits, after sending a code,
    /// before it offers "No code? Open @bot" (to every phone alike).
    pub no_code_hint_after: Duration,
    /// Production: clients' redirect URIs must be https (no http://localhost).
    pub production: bool,
}

/// A month: longer than a shared computer should stay logged in anywhere.
const MAX_SESSION_TTL: u64 = 30 * 24 * 3600;

/// Longer than a login link could be left open on a screen without being a risk.
const MAX_LINK_TTL: u64 = 900;

/// The shortest link production accepts: a customer needs time to open Telegram and answer.
pub(super) const MIN_PRODUCTION_LINK_TTL: Duration = Duration::from_secs(30);

impl LoginConfig {
    pub(super) fn from_raw(raw: &Raw, app_env: AppEnv) -> Result<Self, ConfigError> {
        let production = app_env == AppEnv::Production;
        let oidc_issuer = match raw.oidc_issuer.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(issuer) => {
                let url = url::Url::parse(issuer)
                    .map_err(|e| invalid("OIDC_ISSUER", format!("is not a URL: {e}")))?;
                if url.query().is_some() || url.fragment().is_some() {
                    return Err(invalid("OIDC_ISSUER", "must have no query or fragment"));
                }
                if production && url.scheme() != "https" {
                    return Err(invalid(
                        "OIDC_ISSUER",
                        "must be https when APP_ENV=production",
                    ));
                }
                Some(issuer.trim_end_matches('/').to_string())
            }
        };
        let link_ttl = seconds("LOGIN_LINK_TTL_SECONDS", raw.login_link_ttl_seconds, 2)?;
        if raw.login_link_ttl_seconds > MAX_LINK_TTL {
            return Err(invalid(
                "LOGIN_LINK_TTL_SECONDS",
                format!("must be at most {MAX_LINK_TTL}"),
            ));
        }
        let site_name = raw
            .site_name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_string);
        if site_name
            .as_deref()
            .is_some_and(|name| name.chars().count() > 64 || name.chars().any(char::is_control))
        {
            return Err(invalid(
                "SITE_NAME",
                "must be at most 64 characters, without control characters",
            ));
        }
        let session_ttl = seconds(
            "LOGIN_SESSION_TTL_SECONDS",
            raw.login_session_ttl_seconds,
            60,
        )?;
        if raw.login_session_ttl_seconds > MAX_SESSION_TTL {
            return Err(invalid(
                "LOGIN_SESSION_TTL_SECONDS",
                format!("must be at most {MAX_SESSION_TTL} (30 days)"),
            ));
        }
        let time_zone = match raw.time_zone.as_deref().map(str::trim) {
            None | Some("") => chrono_tz::Asia::Tashkent,
            Some(name) => name.parse().map_err(|_| {
                invalid(
                    "TIME_ZONE",
                    format!("{name:?} is not an IANA time zone (e.g. Asia/Tashkent)"),
                )
            })?,
        };
        Ok(Self {
            site_name,
            link_ttl,
            oidc_issuer,
            session_ttl,
            time_zone,
            no_code_hint_after: seconds(
                "LOGIN_NO_CODE_HINT_SECONDS",
                raw.login_no_code_hint_seconds,
                1,
            )?,
            production,
        })
    }
}
