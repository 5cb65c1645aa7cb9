//! The SQL database: SQLite by default, PostgreSQL in production. Schema in `migration/`,
//! entities in `entity/`; one module per table family.

pub(crate) mod clients;
pub mod deliveries;
pub mod notifications;
pub(crate) mod shops;
pub(crate) mod signing_keys;
pub(crate) mod users;

use std::time::Duration;

use migration::{Migrator, MigratorTrait};

use crate::config::DatabasePool;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr, EntityTrait, Select,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Connects and runs pending migrations.
pub(crate) async fn connect(url: &str, pool: &DatabasePool) -> anyhow::Result<DatabaseConnection> {
    let db = connect_only(url, pool).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Connects without migrating.
pub(crate) async fn connect_only(
    url: &str,
    pool: &DatabasePool,
) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(pool.max_connections)
        .min_connections(1)
        .connect_timeout(pool.connect_timeout)
        .acquire_timeout(pool.acquire_timeout)
        .sqlx_logging(false)
        // WAL lets readers run beside the one writer; the busy timeout queues writers instead of
        // failing them with "database is locked".
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                .foreign_keys(true)
        });
    if let Some(timeout) = pool.statement_timeout {
        options.statement_timeout(timeout);
    }
    Ok(Database::connect(options).await?)
}

pub async fn migrate(url: &str, pool: &DatabasePool) -> anyhow::Result<()> {
    let db = connect_only(url, pool).await?;
    Migrator::up(&db, None).await?;
    Ok(())
}

/// The row a select by a unique key finds, if any. Use this instead of sea-orm's `one()`, which
/// adds `LIMIT ?`: SQLite plans a LIMIT with the value bound to it, so it prepares such a
/// statement again on every run (the statement cache does not help; it was a tenth of
/// `GET /api/v1/me`'s CPU). A unique key needs no LIMIT.
pub(crate) async fn unique<E: EntityTrait>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Option<E::Model>, DbErr> {
    Ok(select.all(db).await?.into_iter().next())
}
