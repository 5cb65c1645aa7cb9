//! Logging setup. `RUST_LOG` picks what is shown (default: info for otpgram, warn for the rest);
//! `LOG_FORMAT` how (text for people, JSON lines for pipelines). Phones are logged masked, and
//! codes, tokens and secrets never (a test reads the logs of a whole login to make sure).

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{Config, LogFormat};

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("otpgram=info,tower_http=info,warn"))
}

pub fn init(config: &Config) {
    init_with(config.log_format);
}

pub fn init_with(format: LogFormat) {
    let builder = fmt().with_env_filter(filter()).with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
    };
}
