//! `redis` and `database`: where the two stores are, and how the service connects to them.

use std::time::Duration;

use super::{ConfigError, env::Raw, invalid, seconds};

const DEFAULT_DATABASE_URL: &str = "sqlite://otpgram.sqlite?mode=rwc";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    pub key_prefix: String,
    /// Multiplexed connections to Redis (per cluster node).
    pub pool_size: usize,
    /// How long a phone ↔ Telegram binding stays hot in Redis after its last use.
    pub binding_ttl: Duration,
}

impl RedisConfig {
    pub(super) fn from_raw(raw: &Raw) -> Result<Self, ConfigError> {
        let url = raw
            .redis_url
            .clone()
            .unwrap_or_else(|| DEFAULT_REDIS_URL.into());
        if !url.starts_with("redis") {
            return Err(invalid(
                "REDIS_URL",
                "must start with redis://, rediss:// or redis-cluster://",
            ));
        }
        if raw.redis_key_prefix.contains(['{', '}']) {
            // A brace would change the keys' cluster hash tags, so scripts that touch one
            // phone's keys together would fail on a cluster.
            return Err(invalid("REDIS_KEY_PREFIX", "cannot contain { or }"));
        }
        Ok(Self {
            url,
            key_prefix: raw.redis_key_prefix.clone(),
            pool_size: match raw.redis_pool_size {
                0 | 65.. => return Err(invalid("REDIS_POOL_SIZE", "must be 1 to 64")),
                n => n,
            },
            binding_ttl: seconds("BINDING_TTL_SECONDS", raw.binding_ttl_seconds, 60)?,
        })
    }
}

#[derive(Clone, Debug)]
pub struct DatabaseConfig {
    pub url: String,
    pub pool: DatabasePool,
}

/// The SQL connection pool.
#[derive(Clone, Debug)]
pub struct DatabasePool {
    /// Connections per process (default 16 for PostgreSQL, 4 for SQLite).
    pub max_connections: u32,
    pub connect_timeout: Duration,
    /// How long a request waits for a free connection before `503 unavailable`.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: statements running longer are cancelled.
    pub statement_timeout: Option<Duration>,
}

impl DatabaseConfig {
    pub(super) fn from_raw(raw: &Raw) -> Result<Self, ConfigError> {
        let url = raw
            .database_url
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(url.starts_with("sqlite:") || url.starts_with("postgres")) {
            return Err(invalid(
                "DATABASE_URL",
                "must be a sqlite:// or postgres:// URL",
            ));
        }
        let pool = DatabasePool {
            max_connections: match raw.database_max_connections {
                Some(0) => return Err(invalid("DATABASE_MAX_CONNECTIONS", "must be at least 1")),
                Some(n) => n,
                // SQLite runs one write at a time; each connection is a thread with its own
                // page cache, so more of them cost memory and buy nothing.
                None if url.starts_with("sqlite") => 4,
                None => 16,
            },
            connect_timeout: seconds(
                "DATABASE_CONNECT_TIMEOUT_SECONDS",
                raw.database_connect_timeout_seconds,
                1,
            )?,
            acquire_timeout: seconds(
                "DATABASE_ACQUIRE_TIMEOUT_SECONDS",
                raw.database_acquire_timeout_seconds,
                1,
            )?,
            statement_timeout: raw
                .database_statement_timeout_seconds
                .map(Duration::from_secs),
        };
        Ok(Self { url, pool })
    }
}
