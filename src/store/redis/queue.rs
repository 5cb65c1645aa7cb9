//! The notification work queue: a Redis Stream with one consumer group. Each entry names a
//! notification; an entry stays pending until a worker has settled every delivery of it, and a
//! dead worker's entries are taken over with XAUTOCLAIM. The database, not the stream, records
//! what was delivered, so an entry processed twice sends nothing twice.

use fred::{
    clients::Client,
    prelude::{ClientLike, StreamsInterface},
    types::Value,
};
use uuid::Uuid;

use super::RedisStore;
use crate::error::Result;

const GROUP: &str = "workers";
const FIELD: &str = "n";

/// One stream entry: the notification to work on.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub id: String,
    pub notification: Option<Uuid>,
}

impl RedisStore {
    /// Adds a notification to the work queue.
    pub(crate) async fn enqueue_notification(&self, id: Uuid) -> Result<()> {
        self.pool
            .next()
            .xadd::<(), _, _, _, _>(
                self.keys.notify_stream(),
                false,
                None,
                "*",
                vec![(FIELD, id.to_string())],
            )
            .await?;
        Ok(())
    }

    /// A consumer with its own connection (reads block, and must not stall the shared pool).
    pub(crate) async fn queue_consumer(&self, consumer: String) -> anyhow::Result<Queue> {
        let client = self.pool.next().clone_new();
        client.init().await?;
        let queue = Queue {
            client,
            key: self.keys.notify_stream(),
            consumer,
        };
        queue.ensure_group().await?;
        Ok(queue)
    }
}

pub(crate) struct Queue {
    client: Client,
    key: String,
    consumer: String,
}

/// XAUTOCLAIM's `[next, [entry, …], deleted…]` → entries.
fn claimed_entries(reply: Value) -> Vec<Entry> {
    reply
        .into_array()
        .into_iter()
        .nth(1)
        .map(parse_entries)
        .unwrap_or_default()
}

/// `[[id, [field, value, …]], …]` → entries (an entry deleted meanwhile has no fields).
fn parse_entries(list: Value) -> Vec<Entry> {
    list.into_array()
        .into_iter()
        .filter_map(|item| {
            let mut item = item.into_array().into_iter();
            let id = item.next()?.into_string()?;
            let fields = item.next().map(Value::into_array).unwrap_or_default();
            let notification = fields
                .chunks(2)
                .find(|pair| pair[0].as_str().as_deref() == Some(FIELD))
                .and_then(|pair| pair.get(1)?.as_str()?.parse().ok());
            Some(Entry { id, notification })
        })
        .collect()
}

impl Queue {
    /// Creates the stream and group if Redis does not have them (first start, or data loss).
    pub(crate) async fn ensure_group(&self) -> Result<()> {
        match self
            .client
            .xgroup_create::<(), _, _, _>(&self.key, GROUP, "0", true)
            .await
        {
            Err(e) if !e.details().contains("BUSYGROUP") => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// New entries, waiting up to `block_ms` for some.
    pub(crate) async fn read_new(&self, count: u64, block_ms: u64) -> Result<Vec<Entry>> {
        // Parsed by hand: a read that times out answers nil, which fred's map conversion rejects.
        let read = self
            .client
            .xreadgroup::<Value, _, _, _, _>(
                GROUP,
                self.consumer.as_str(),
                Some(count),
                Some(block_ms),
                false,
                self.key.as_str(),
                ">",
            )
            .await;
        match read {
            // [[stream, [entry, …]]] for our one stream.
            Ok(reply) => Ok(reply
                .into_array()
                .into_iter()
                .flat_map(|stream| stream.into_array().into_iter().nth(1))
                .flat_map(parse_entries)
                .collect()),
            Err(e) if e.details().contains("NOGROUP") => {
                self.ensure_group().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Entries pending for at least `min_idle_ms` with any consumer (a dead worker's, or this
    /// worker's own that nobody touched), now owned by this consumer.
    pub(crate) async fn reclaim(&self, min_idle_ms: u64, count: u64) -> Result<Vec<Entry>> {
        // The reply is parsed here: Redis 7 adds a third element (deleted ids) that fred's
        // typed conversion does not expect.
        let claimed = self
            .client
            .xautoclaim::<Value, _, _, _, _>(
                self.key.as_str(),
                GROUP,
                self.consumer.as_str(),
                min_idle_ms,
                "0-0",
                Some(count),
                false,
            )
            .await;
        match claimed {
            Ok(reply) => Ok(claimed_entries(reply)),
            Err(e) if e.details().contains("NOGROUP") => {
                self.ensure_group().await?;
                Ok(Vec::new())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Resets an entry's idle time, so it is not reclaimed while this worker still holds it.
    pub(crate) async fn touch(&self, id: &str) -> Result<()> {
        self.client
            .xclaim::<(), _, _, _, _>(
                self.key.as_str(),
                GROUP,
                self.consumer.as_str(),
                0,
                id,
                None,
                None,
                None,
                false,
                true,
            )
            .await?;
        Ok(())
    }

    /// Entries handed to workers and not yet acknowledged, and the age of the oldest.
    pub(crate) async fn pending(&self) -> Result<(u64, std::time::Duration)> {
        // XPENDING's summary: [count, smallest id, greatest id, consumers].
        let summary: Value = self
            .client
            .custom(
                fred::cmd!("XPENDING"),
                vec![self.key.clone(), GROUP.to_string()],
            )
            .await?;
        let mut parts = summary.into_array().into_iter();
        let count = parts.next().and_then(|v| v.as_u64()).unwrap_or(0);
        let oldest_ms = parts
            .next()
            .and_then(|v| v.as_string())
            .and_then(|id| id.split('-').next()?.parse::<i64>().ok());
        let age = oldest_ms
            .map(|ms| chrono::Utc::now().timestamp_millis() - ms)
            .map(|ms| std::time::Duration::from_millis(ms.max(0) as u64))
            .unwrap_or_default();
        Ok((count, age))
    }

    pub(crate) async fn ack(&self, id: &str) -> Result<()> {
        self.client
            .xack::<(), _, _, _>(self.key.as_str(), GROUP, id)
            .await?;
        Ok(())
    }

    pub(crate) async fn quit(&self) {
        let _ = self.client.quit().await;
    }
}
