//! The notification benchmark: many shops, two chats each, a burst of orders; how close does
//! delivery come to what Telegram's limits allow, and is every message delivered exactly once?

use std::{
    collections::HashMap,
    path::Path,
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

use crate::{fake_telegram::FakeTelegram, service};

const SERVICE_KEY: &str = "bench-service-key-0123456789";

pub struct Options {
    pub shops: usize,
    pub chats_per_shop: usize,
    pub orders: usize,
    pub global_rate: u32,
    pub concurrency: usize,
    /// SIGTERM otpgram once this share of the messages went out, and start a new one (a deploy
    /// in the middle of the burst).
    pub restart_at: Option<f64>,
}

pub async fn run(binary: &Path, opts: Options) -> anyhow::Result<()> {
    let (_redis, redis_port) = service::redis().await?;
    let telegram = FakeTelegram::start().await?;
    let dir = std::env::temp_dir().join(format!("otpgram-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let env: Vec<(String, String)> = [
        ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
        (
            "DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()),
        ),
        ("TELEGRAM_BOT_TOKEN", "1:bench".to_string()),
        // The fake's users send no language; the bench reads English texts.
        ("DEFAULT_LANGUAGE", "en".to_string()),
        ("TELEGRAM_API_URL", telegram.url.clone()),
        (
            "JWT_SECRET",
            "bench-secret-bench-secret-bench-secret".to_string(),
        ),
        ("SERVICE_API_KEYS", SERVICE_KEY.to_string()),
        (
            "TELEGRAM_GLOBAL_RATE_PER_SECOND",
            opts.global_rate.to_string(),
        ),
        ("TELEGRAM_POLL_TIMEOUT_SECONDS", "1".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let (mut otpgram, base) = service::otpgram(binary, &env).await?;
    let http = reqwest::Client::new();

    // Shops, and their chats subscribed through the bot's deep link.
    println!(
        "setting up {} shops with {} chats each…",
        opts.shops, opts.chats_per_shop
    );
    let mut shop_ids = Vec::new();
    for i in 0..opts.shops {
        let shop: Value = http
            .post(format!("{base}/api/v1/shops"))
            .bearer_auth(SERVICE_KEY)
            .json(&json!({ "name": format!("Shop {i}") }))
            .send()
            .await?
            .json()
            .await?;
        let id = shop["id"].as_str().unwrap_or_default().to_string();
        // A link subscribes one chat: the first comes with the shop, the others are minted.
        let mut link = shop;
        for c in 0..opts.chats_per_shop {
            if c > 0 {
                link = http
                    .post(format!("{base}/api/v1/shops/{id}/links"))
                    .bearer_auth(SERVICE_KEY)
                    .send()
                    .await?
                    .json()
                    .await?;
            }
            let token = link["owner_link"]
                .as_str()
                .unwrap_or_default()
                .rsplit_once("start=")
                .map(|(_, t)| t.to_string());
            let token = token.ok_or_else(|| anyhow::anyhow!("no owner link: {link}"))?;
            telegram.message_from(
                chat_id(i, c, opts.chats_per_shop),
                &format!("/start {token}"),
            );
        }
        shop_ids.push(id);
    }
    let chats = opts.shops * opts.chats_per_shop;
    wait_until(Duration::from_secs(120), "every chat subscribed", || {
        telegram
            .sent()
            .iter()
            .filter(|(_, _, t)| t.contains("receives new orders"))
            .count()
            >= chats
    })
    .await?;

    // The burst.
    println!(
        "submitting {} orders with {} concurrent requests…",
        opts.orders, opts.concurrency
    );
    let started = Instant::now();
    let statuses: Vec<u16> = stream::iter(0..opts.orders)
        .map(|k| {
            let http = http.clone();
            let url = format!("{base}/api/v1/notifications/orders");
            let shop = shop_ids[k % opts.shops].clone();
            async move {
                let order = json!({
                    "shop_id": shop, "order_id": format!("B-{k}"), "total": 125000 + k,
                    "currency": "UZS", "customer": { "name": "Customer", "phone": "+998901234567" },
                    "address": "Tashkent", "items": [{ "name": "Tea", "quantity": 1, "price": 125000 }],
                });
                match http.post(url).bearer_auth(SERVICE_KEY).json(&order).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(_) => 0,
                }
            }
        })
        .buffer_unordered(opts.concurrency)
        .collect()
        .await;
    let submit_time = started.elapsed();
    let accepted = statuses.iter().filter(|s| **s == 202).count();

    let expected = opts.orders * opts.chats_per_shop;
    if let Some(share) = opts.restart_at {
        let at = (expected as f64 * share) as usize;
        wait_until(Duration::from_secs(600), "the restart point", || {
            order_messages(&telegram) >= at
        })
        .await?;
        let stopping = Instant::now();
        otpgram.terminate(Duration::from_secs(30)).await?;
        println!(
            "SIGTERM after {} of {expected} messages; stopped in {:.2?}",
            order_messages(&telegram),
            stopping.elapsed()
        );
        otpgram = service::otpgram(binary, &env).await?.0;
        println!(
            "a new otpgram is up {:.2?} after the SIGTERM",
            stopping.elapsed()
        );
    }
    let delivered_all = wait_until(Duration::from_secs(600), "every order delivered", || {
        order_messages(&telegram) >= expected
    })
    .await;
    // Give duplicates a moment to show up, should there be any.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let sent = telegram.sent();
    let mut pairs: HashMap<(i64, String), usize> = HashMap::new();
    let mut last = started;
    let mut per_chat: HashMap<i64, usize> = HashMap::new();
    for (chat, at, text) in &sent {
        if let Some(rest) = text.split("New order #").nth(1) {
            let order = rest.split('<').next().unwrap_or_default().to_string();
            *pairs.entry((*chat, order)).or_default() += 1;
            *per_chat.entry(*chat).or_default() += 1;
            last = last.max(*at);
        }
    }
    let duplicates: usize = pairs.values().map(|n| n.saturating_sub(1)).sum();
    let losses = expected.saturating_sub(pairs.len());
    let elapsed = last - started;
    // What the limits allow: a chat's messages 1 s apart, and the global rate.
    let busiest = per_chat.values().copied().max().unwrap_or(0);
    let per_chat_floor = Duration::from_secs(busiest.saturating_sub(1) as u64);
    let global_floor =
        Duration::from_secs_f64(expected.saturating_sub(1) as f64 / f64::from(opts.global_rate));
    let floor = per_chat_floor.max(global_floor);

    println!();
    println!(
        "notifications: {} orders × {} chats = {expected} messages",
        opts.orders, opts.chats_per_shop
    );
    println!(
        "  accepted              {accepted}/{} (submit {:.2?}, {:.0} notifications/s)",
        opts.orders,
        submit_time,
        opts.orders as f64 / submit_time.as_secs_f64()
    );
    println!(
        "  all delivered         {} after {:.2?}",
        if delivered_all.is_ok() { "yes" } else { "NO" },
        elapsed
    );
    println!(
        "  minimum allowed       {floor:.2?} (per chat {per_chat_floor:.2?}, global {global_floor:.2?})"
    );
    println!(
        "  ratio to minimum      {:.3} (target ≤ 1.1)",
        elapsed.as_secs_f64() / floor.as_secs_f64().max(0.001)
    );
    println!("  duplicates            {duplicates}");
    println!("  losses                {losses}");
    println!(
        "  peak RSS (otpgram)    {:.1} MiB",
        otpgram.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    if let Some(cpu) = otpgram.cpu_time() {
        println!("  CPU time (otpgram)    {cpu:.2?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn chat_id(shop: usize, chat: usize, per_shop: usize) -> i64 {
    1_000_000 + (shop * per_shop + chat) as i64
}

fn order_messages(telegram: &FakeTelegram) -> usize {
    telegram
        .sent()
        .iter()
        .filter(|(_, _, t)| t.contains("New order #"))
        .count()
}

async fn wait_until(
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}
