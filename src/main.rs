//! The `otpgram` binary: parse the command line, set up logging, load the configuration, run.

use anyhow::Context;
use clap::{Parser, Subcommand};
use otpgram::{App, Config, app::shutdown_signal, db, telemetry};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init();
    let config = Config::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = App::build(config).await.context("starting otpgram")?;
            app.run_until(shutdown_signal()).await
        }
        Command::Migrate => {
            db::migrate(&config.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
    }
}
