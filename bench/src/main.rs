//! `otpgram-bench`: benchmarks that run a release build of otpgram as its own process, with its
//! own Redis and a fake Telegram, and print numbers. Run through `scripts/bench`.

mod fake_telegram;
mod floor;
mod http;
mod login;
mod notify;
mod service;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
struct Cli {
    /// The otpgram binary to drive (a release build).
    #[arg(long, default_value = "target/release/otpgram")]
    otpgram: PathBuf,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// The login hot paths next to redis-benchmark: request, wrong verify, right verify, /me.
    Login {
        #[arg(long, default_value_t = 100_000)]
        phones: usize,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// A PostgreSQL server URL ending in /postgres; a fresh database is made on it.
        #[arg(long)]
        postgres: Option<String>,
        /// RATE_LIMIT_PER_IP_PER_MINUTE; 0 (the default) turns the per-address limit off. Any
        /// value the load cannot reach measures what the limit itself costs.
        #[arg(long, default_value_t = 0)]
        ip_limit: u64,
        /// Turn the Telegram Gateway on (served by the fake): codes for unlinked phones go out
        /// through it.
        #[arg(long)]
        gateway: bool,
    },
    /// The floor server `login` runs beside otpgram (not for running by hand).
    #[command(hide = true)]
    Floor {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        redis_port: u16,
    },
    /// Order notifications: delivery time against Telegram's limits, duplicates, losses.
    Notify {
        #[arg(long, default_value_t = 200)]
        shops: usize,
        #[arg(long, default_value_t = 2)]
        chats_per_shop: usize,
        #[arg(long, default_value_t = 2000)]
        orders: usize,
        /// Messages per second across all chats (paid broadcasts allow up to 1000).
        #[arg(long, default_value_t = 1000)]
        global_rate: u32,
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// SIGTERM otpgram once this share (0..1) of the messages went out, then start a new one.
        #[arg(long)]
        restart_at: Option<f64>,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.scenario {
        Scenario::Login {
            phones,
            connections,
            seconds,
            postgres,
            ip_limit,
            gateway,
        } => {
            login::run(
                &cli.otpgram,
                login::Options {
                    phones,
                    connections,
                    seconds,
                    postgres,
                    ip_limit,
                    gateway,
                },
            )
            .await
        }
        Scenario::Floor { port, redis_port } => floor::serve(port, redis_port).await,
        Scenario::Notify {
            shops,
            chats_per_shop,
            orders,
            global_rate,
            concurrency,
            restart_at,
        } => {
            notify::run(
                &cli.otpgram,
                notify::Options {
                    shops,
                    chats_per_shop,
                    orders,
                    global_rate,
                    concurrency,
                    restart_at,
                },
            )
            .await
        }
    }
}
