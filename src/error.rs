//! The core's error type: what can go wrong in a login, independent of HTTP or Telegram.
//! `http::error` maps each variant to a status code and a stable JSON code.

use std::time::Duration;

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("that is not a valid phone number")]
    InvalidPhone,
    /// A per-phone limit (cooldown, hourly cap, verification lock) was hit.
    #[error("too many requests for this phone number, try again later")]
    RateLimited { retry_after: Duration },
    /// Wrong, expired and already-used codes look the same to the caller.
    #[error("the code is wrong, expired or already used")]
    InvalidCode,
    /// The code was burned by wrong guesses, or the phone's verification is locked.
    #[error("too many wrong codes; request a new code")]
    TooManyAttempts { retry_after: Option<Duration> },
    /// An integration vouched for a phone that is linked to another Telegram account.
    #[error("that phone number is linked to another Telegram account")]
    PhoneTaken,
    #[error("authentication required")]
    Unauthorized,
    /// A rotated-out refresh token came back: the whole session was revoked.
    #[error("this refresh token was already used; the session has been revoked")]
    TokenReused,
    #[error("no shop with that id")]
    ShopNotFound,
    #[error("that chat is not subscribed to this shop")]
    ChatNotFound,
    #[error("no notification with that id")]
    NotificationNotFound,
    #[error("no such login, or it has expired")]
    LoginNotFound,
    /// The hosted page has no live login session that the request can use (none, too old
    /// for `max_age`, or `prompt=login`).
    #[error("the customer must log in on this page")]
    LoginRequired,
    /// More at once than any customer needs: codes for one login session, waits on one login
    /// or from one address.
    #[error("too many at once from this browser or address, try again later")]
    Throttled { retry_after: Duration },
    #[error("OpenID Connect is off: set OIDC_ISSUER")]
    OidcDisabled,
    /// Input that parsed but makes no sense; `field` names the culprit.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{dependency} is unavailable")]
    Unavailable {
        dependency: &'static str,
        #[source]
        source: anyhow::Error,
    },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::domain::InvalidPhone> for Error {
    fn from(_: crate::domain::InvalidPhone) -> Self {
        Self::InvalidPhone
    }
}

impl From<fred::error::Error> for Error {
    /// Connection trouble means Redis is away (503); a reply we cannot read is our bug (500).
    fn from(err: fred::error::Error) -> Self {
        use fred::error::ErrorKind;
        match err.kind() {
            ErrorKind::Parse | ErrorKind::InvalidArgument | ErrorKind::InvalidCommand => {
                Error::Internal(err.into())
            }
            _ => Error::Unavailable {
                dependency: "redis",
                source: err.into(),
            },
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, RuntimeErr};
        let unreachable = match &err {
            DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                matches!(
                    e.as_ref(),
                    sea_orm::sqlx::Error::Io(_)
                        | sea_orm::sqlx::Error::PoolTimedOut
                        | sea_orm::sqlx::Error::PoolClosed
                        | sea_orm::sqlx::Error::Tls(_)
                )
            }
            _ => false,
        };
        let redacted = anyhow::anyhow!(redact(&err));
        if unreachable {
            Error::Unavailable {
                dependency: "database",
                source: redacted,
            }
        } else {
            Error::Internal(redacted)
        }
    }
}

/// A database error as it may be logged: a server's error is told by its code and constraint
/// only, since its message and detail can quote a row ("Key (phone)=(+998…) already exists").
fn redact(err: &sea_orm::DbErr) -> String {
    use sea_orm::{DbErr, RuntimeErr};
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            match e.as_database_error() {
                Some(db) => format!(
                    "database error {} (constraint: {})",
                    db.code().as_deref().unwrap_or("unknown"),
                    db.constraint().unwrap_or("none")
                ),
                None => format!("database driver error: {e}"),
            }
        }
        DbErr::Exec(_) | DbErr::Query(_) => "database error".to_string(),
        other => other.to_string(),
    }
}
