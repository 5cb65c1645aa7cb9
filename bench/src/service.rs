//! Processes the benchmarks run: a redis-server and a release build of otpgram, each on a free
//! port of 127.0.0.1, stopped when dropped.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A child process killed on drop.
pub struct Process {
    child: Child,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// User + system CPU time so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time(self.pid())
    }

    /// Sends SIGTERM (as a deploy does) and waits up to `limit` for the process to exit.
    pub async fn terminate(&mut self, limit: Duration) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        let deadline = Instant::now() + limit;
        while self.child.try_wait()?.is_none() {
            anyhow::ensure!(
                Instant::now() < deadline,
                "otpgram did not stop after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

/// User + system CPU time a process has used so far (`std::process::id()` for this one).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in clock ticks, 100 per second on every common configuration.
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time used so far by every process whose command name is `name` (e.g. a PostgreSQL
/// server and its backends).
pub fn cpu_time_of_all(name: &str) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Duration::ZERO;
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name)
        })
        .filter_map(cpu_time)
        .sum()
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for_port(port: u16, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{what} did not start listening on {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

pub async fn redis() -> anyhow::Result<(Process, u16)> {
    let port = free_port()?;
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!("cannot start redis-server ({e}); scripts/bench installs it")
        })?;
    wait_for_port(port, "redis-server").await?;
    Ok((Process { child }, port))
}

/// Starts the floor server (this binary's hidden `floor` command) against the Redis on
/// `redis_port`; its address.
pub async fn floor(redis_port: u16) -> anyhow::Result<(Process, String)> {
    let port = free_port()?;
    let child = Command::new(std::env::current_exe()?)
        .args([
            "floor",
            "--port",
            &port.to_string(),
            "--redis-port",
            &redis_port.to_string(),
        ])
        .stdout(Stdio::null())
        .spawn()?;
    let process = Process { child };
    wait_for_port(port, "the floor server").await?;
    Ok((process, format!("127.0.0.1:{port}")))
}

/// Starts otpgram with `env` (plus BIND_ADDR) and waits until /healthz answers.
pub async fn otpgram(binary: &Path, env: &[(String, String)]) -> anyhow::Result<(Process, String)> {
    let port = free_port()?;
    let child =
        Command::new(binary)
            .arg("serve")
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            // Tuning knobs to compare, passed through from the bench's own environment.
            .envs(std::env::vars().filter(|(k, _)| {
                matches!(k.as_str(), "REDIS_POOL_SIZE" | "DATABASE_MAX_CONNECTIONS")
            }))
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", binary.display()))?;
    let process = Process { child };
    wait_for_port(port, "otpgram").await?;
    Ok((process, format!("http://127.0.0.1:{port}")))
}
