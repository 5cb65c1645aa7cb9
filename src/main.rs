//! The `otpgram` binary: parse the command line, set up logging, load the configuration, run.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use otpgram::{App, Config, ops, shutdown_signal};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read before `main`: two arenas (the work runs on a few runtime threads;
/// more arenas would only hold more memory) and freed pages handed back within a second.
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: MallocConf =
    MallocConf(c"narenas:2,dirty_decay_ms:1000,muzzy_decay_ms:0".as_ptr());

/// A C string pointer, as jemalloc reads `malloc_conf` (`const char *`).
#[repr(transparent)]
pub struct MallocConf(*const std::ffi::c_char);

// SAFETY: the pointer is to a static, immutable C string.
unsafe impl Sync for MallocConf {}

#[derive(Parser)]
#[command(version, about = "One-time login codes delivered by Telegram")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API, the bot and the background tasks (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check the configuration and reach Redis, the database and Telegram; exit non-zero on a
    /// problem.
    Check,
    /// Manage shops.
    Shop {
        #[command(subcommand)]
        command: ShopCommand,
    },
    /// OpenID Connect.
    Oidc {
        #[command(subcommand)]
        command: OidcCommand,
    },
}

#[derive(Subcommand)]
enum OidcCommand {
    /// Make a new ID token signing key; the current one stops signing and stays published
    /// for `--keep-hours` (every replica sees the new key within a minute).
    RotateKey {
        #[arg(long, default_value_t = 48)]
        keep_hours: u64,
    },
}

#[derive(Subcommand)]
enum ShopCommand {
    /// Create a shop and print its owner link.
    Create { name: String },
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) if matches!(command, Command::Check) => {
            println!("✗ {err}");
            return Ok(ExitCode::FAILURE);
        }
        Err(err) => return Err(err.into()),
    };
    otpgram::init_logs(&config);
    match command {
        Command::Serve => {
            let app = App::build(config).await.context("starting otpgram")?;
            app.run_until(shutdown_signal()).await?;
        }
        Command::Migrate => {
            ops::migrate(&config.database.url, &config.database.pool).await?;
            println!("migrations applied");
        }
        Command::Check => return check(config).await,
        Command::Shop {
            command: ShopCommand::Create { name },
        } => {
            let app = App::build(with_free_port(config)).await?;
            let state = app.state();
            let (shop, link) = ops::create_shop(state, name.trim()).await?;
            let deep_link = ops::owner_deep_link(state, &link.token).await?;
            println!("shop {} ({})", shop.name, shop.id);
            println!(
                "owner link (subscribes one chat, until {}): {deep_link}",
                link.expires_at,
            );
        }
        Command::Oidc {
            command: OidcCommand::RotateKey { keep_hours },
        } => {
            let app = App::build(with_free_port(config)).await?;
            let state = app.state();
            let keep = std::time::Duration::from_secs(keep_hours * 3600);
            let kid = ops::rotate_signing_key(state, keep).await?;
            println!(
                "signing key {kid} signs from now on; the previous ones stay published for {keep_hours} h"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Commands other than `serve` need no listener of their own: let the OS pick a port.
fn with_free_port(mut config: Config) -> Config {
    config.http.bind_addr.set_port(0);
    config.http.bind_addr.set_ip([127, 0, 0, 1].into());
    config
}

async fn check(config: Config) -> anyhow::Result<ExitCode> {
    println!(
        "✓ configuration ({} mode)",
        if config.is_production() {
            "production"
        } else {
            "development"
        }
    );
    let app = match App::build(with_free_port(config)).await {
        Ok(app) => app,
        Err(err) => {
            println!("✗ cannot start: {err:#}");
            return Ok(ExitCode::FAILURE);
        }
    };
    let checks = ops::check(app.state()).await;
    for (name, problem) in [
        ("redis", &checks.redis),
        ("database", &checks.database),
        ("telegram", &checks.telegram),
    ] {
        match problem {
            None => println!("✓ {name}"),
            Some(why) => println!("✗ {name}: {why}"),
        }
    }
    Ok(if checks.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
