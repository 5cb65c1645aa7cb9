//! Redis: the hot, short-lived state (bindings, codes, limits, sessions, one-tap logins, the
//! order queue, the poller's lease).
//!
//! Each operation on a hot path is one atomic Lua script (`lua/`), so it costs one round trip
//! and cannot interleave with a concurrent request for the same phone. Keys come from [`Keys`].
//! A script's answer is read strictly: one this code does not know is an error.

mod bindings;
mod codes;
mod gateway;
mod keys;
mod limits;
mod login_sessions;
mod logins;
mod oidc;
mod poller;
mod queue;
mod sessions;
mod users;

use std::time::Duration;

use fred::{
    prelude::{
        Builder, ClientLike, Config as FredConfig, KeysInterface, Pool, ReconnectPolicy, TcpConfig,
    },
    types::{Expiration, scripts::Script},
};

pub(crate) use codes::{Check, Issue, StoreMode};
pub(crate) use gateway::{Claimed, GatewayMessage, GatewaySlot, Reported};
pub(crate) use keys::Keys;
pub(crate) use limits::WaitsOn;
pub(crate) use logins::{Collect, Open, Settle};
pub(crate) use oidc::{Redeemed, Rotated};
pub(crate) use queue::{Entry, Queue};
pub(crate) use sessions::{Rotation, SessionPolicy};

use crate::{
    config::RedisConfig,
    error::{Error, Result},
};

/// How long one Redis command may take before the request fails with `503 unavailable`.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(2);

/// The Redis store: a pool of multiplexed connections and the loaded scripts.
#[derive(Clone)]
pub(crate) struct RedisStore {
    pool: Pool,
    keys: Keys,
    binding_ttl: Duration,
    scripts: std::sync::Arc<Scripts>,
}

struct Scripts {
    issue_code: Script,
    issue_telegram_code: Script,
    admit_address: Script,
    store_code: Script,
    verify_code: Script,
    start_session: Script,
    rotate_session: Script,
    start_login: Script,
    open_login: Script,
    settle_login: Script,
    collect_login: Script,
    redeem_code: Script,
    wait_slot: Script,
    rotate_refresh: Script,
    gateway_slot: Script,
    gateway_report: Script,
    gateway_settle: Script,
    gateway_claim: Script,
    remember_user: Script,
}

/// A script answered something this code does not know: the script and the code disagree.
fn unexpected(script: &str, answer: impl std::fmt::Debug) -> Error {
    Error::Internal(anyhow::anyhow!(
        "unexpected answer from {script}.lua: {answer:?}"
    ))
}

fn secs(d: Duration) -> i64 {
    d.as_secs() as i64
}

fn millis(ms: i64) -> Duration {
    Duration::from_millis(ms.max(0) as u64)
}

impl RedisStore {
    /// Connects a small pool of multiplexed connections. Commands fail after two seconds when
    /// Redis is away, and the pool reconnects by itself when it returns.
    pub(crate) async fn connect(config: &RedisConfig) -> anyhow::Result<Self> {
        let redis_config = FredConfig::from_url(&config.url)?;
        let pool = Builder::from_config(redis_config)
            .with_connection_config(|c| {
                c.connection_timeout = COMMAND_TIMEOUT;
                c.internal_command_timeout = COMMAND_TIMEOUT;
                c.max_command_attempts = 1;
                c.tcp = TcpConfig {
                    nodelay: Some(true),
                    ..Default::default()
                };
            })
            .with_performance_config(|p| p.default_command_timeout = COMMAND_TIMEOUT)
            .set_policy(ReconnectPolicy::new_exponential(0, 50, 2_000, 2))
            .build_pool(config.pool_size)?;
        pool.init().await?;
        let store = Self {
            pool,
            keys: Keys::new(config.key_prefix.clone()),
            binding_ttl: config.binding_ttl,
            scripts: std::sync::Arc::new(Scripts {
                issue_code: Script::from_lua(include_str!("lua/issue_code.lua")),
                issue_telegram_code: Script::from_lua(include_str!("lua/issue_telegram_code.lua")),
                admit_address: Script::from_lua(include_str!("lua/admit_address.lua")),
                store_code: Script::from_lua(include_str!("lua/store_code.lua")),
                verify_code: Script::from_lua(include_str!("lua/verify_code.lua")),
                start_session: Script::from_lua(include_str!("lua/start_session.lua")),
                rotate_session: Script::from_lua(include_str!("lua/rotate_session.lua")),
                start_login: Script::from_lua(include_str!("lua/start_login.lua")),
                open_login: Script::from_lua(include_str!("lua/open_login.lua")),
                settle_login: Script::from_lua(include_str!("lua/settle_login.lua")),
                collect_login: Script::from_lua(include_str!("lua/collect_login.lua")),
                redeem_code: Script::from_lua(include_str!("lua/redeem_code.lua")),
                wait_slot: Script::from_lua(include_str!("lua/wait_slot.lua")),
                rotate_refresh: Script::from_lua(include_str!("lua/rotate_refresh.lua")),
                gateway_slot: Script::from_lua(include_str!("lua/gateway_slot.lua")),
                gateway_report: Script::from_lua(include_str!("lua/gateway_report.lua")),
                gateway_settle: Script::from_lua(include_str!("lua/gateway_settle.lua")),
                gateway_claim: Script::from_lua(include_str!("lua/gateway_claim.lua")),
                remember_user: Script::from_lua(include_str!("lua/remember_user.lua")),
            }),
        };
        Ok(store)
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// `SET key value PX ttl`.
    async fn set_expiring(&self, key: String, value: String, ttl: Duration) -> Result<()> {
        self.pool
            .next()
            .set::<(), _, _>(
                key,
                value,
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// Answers when Redis does.
    pub(crate) async fn ping(&self) -> Result<()> {
        self.pool.next().ping::<()>(None).await?;
        Ok(())
    }

    pub(crate) async fn quit(&self) {
        let _ = self.pool.quit().await;
    }
}
