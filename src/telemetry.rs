//! Logging setup. `RUST_LOG` picks what is shown (default: info for otpgram, warn for the rest).

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("otpgram=info,tower_http=info,warn"));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}
