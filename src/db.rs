//! The SQL database: SQLite by default, PostgreSQL in production.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Connects and runs pending migrations.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = connect_only(url).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Connects without migrating (for `otpgram migrate`, which migrates itself).
pub async fn connect_only(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(3))
        .sqlx_logging(false)
        // WAL lets readers run beside the one writer; the busy timeout queues writers instead of
        // failing them with "database is locked".
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    Ok(Database::connect(options).await?)
}

pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let db = connect_only(url).await?;
    Migrator::up(&db, None).await?;
    Ok(())
}
