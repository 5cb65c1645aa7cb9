//! Readiness: can this process serve — does Redis answer, the database, Telegram?

use std::time::Duration;

use sea_orm::ConnectionTrait;

use crate::state::AppState;

/// How long one check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// One dependency's state: `None` when fine, else what is wrong.
pub struct Checks {
    pub redis: Option<String>,
    pub database: Option<String>,
    /// `None` also when the bot is off (development without a token).
    pub telegram: Option<String>,
}

impl Checks {
    pub fn ok(&self) -> bool {
        self.redis.is_none() && self.database.is_none() && self.telegram.is_none()
    }
}

async fn within<F, E>(check: F) -> Option<String>
where
    F: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    match tokio::time::timeout(CHECK_TIMEOUT, check).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {CHECK_TIMEOUT:?}")),
    }
}

/// Checks every dependency at once.
pub async fn check(state: &AppState) -> Checks {
    let redis = within(state.redis.ping());
    let database = within(async { state.db.execute_unprepared("SELECT 1").await.map(|_| ()) });
    let telegram = within(state.telegram.reachable());
    let (redis, database, telegram) = tokio::join!(redis, database, telegram);
    Checks {
        redis,
        database,
        telegram,
    }
}
