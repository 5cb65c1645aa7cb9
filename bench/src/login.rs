//! The login benchmark: how close do otpgram's hot paths come to Redis's own speed?
//!
//! Seeds linked phones through the library, starts a release otpgram, and drives four scenarios
//! with a fixed number of keep-alive connections for a fixed time, next to `redis-benchmark` at
//! the same concurrency in the same run (machines are noisy: compare ratios, not absolutes).

use std::{
    collections::HashMap,
    path::Path,
    process::Command,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use otpgram::{App, Config, Phone, TelegramId, ops};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};

use crate::{
    fake_telegram::FakeTelegram,
    http::{Connection, Request},
    service,
};

/// Requests sent one at a time under MONITOR to count round trips.
const CALIBRATION: usize = 200;

pub struct Options {
    pub phones: usize,
    pub connections: usize,
    pub seconds: u64,
    /// A PostgreSQL server URL (…/postgres); a fresh database is made on it. SQLite otherwise.
    pub postgres: Option<String>,
    /// `RATE_LIMIT_PER_IP_PER_MINUTE` (0: off).
    pub ip_limit: u64,
    /// The Telegram Gateway on (the fake serves it): unlinked phones' codes go out through it.
    pub gateway: bool,
}

/// The worker's own polling, not part of any request.
const BACKGROUND: &[&str] = &[
    "XREADGROUP",
    "XAUTOCLAIM",
    "XCLAIM",
    "XACK",
    "PING",
    "SCRIPT",
];

fn phone(i: usize) -> String {
    format!("+99890{:07}", 1_000_000 + i)
}

fn telegram_id(i: usize) -> i64 {
    5_000_000 + i as i64
}

struct Outcome {
    requests: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    errors: usize,
    too_many: usize,
    bodies: Vec<Value>,
}

/// Runs `connections` keep-alive connections for `seconds`, each taking the next index and
/// sending the request `make` builds; stops early when `make` returns `None`.
async fn drive<F>(
    addr: &str,
    connections: usize,
    seconds: u64,
    keep_bodies: usize,
    make: F,
) -> Outcome
where
    F: Fn(usize) -> Option<Request> + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (make, next, bodies) = (make.clone(), next.clone(), bodies.clone());
            let mut connection = Connection::new(addr);
            tokio::spawn(async move {
                let (mut lat, mut errors, mut too_many) = (Vec::new(), 0, 0);
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(request) = make(i) else { break };
                    let t = Instant::now();
                    match connection.send(&request).await {
                        Ok((status, body)) => {
                            lat.push(t.elapsed().as_micros() as u32);
                            if status == 429 {
                                too_many += 1;
                            }
                            if status >= 500 {
                                errors += 1;
                            }
                            let mut kept = bodies.lock().unwrap();
                            if kept.len() < keep_bodies
                                && let Ok(value) = serde_json::from_slice::<Value>(&body)
                            {
                                kept.push(value);
                            }
                        }
                        Err(_) => errors += 1,
                    }
                }
                (lat, errors, too_many)
            })
        })
        .collect();
    let mut outcome = Outcome {
        requests: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        errors: 0,
        too_many: 0,
        bodies: Vec::new(),
    };
    for task in tasks {
        if let Ok((lat, errors, too_many)) = task.await {
            outcome.latencies_us.extend(lat);
            outcome.errors += errors;
            outcome.too_many += too_many;
        }
    }
    outcome.elapsed = start.elapsed();
    outcome.requests = outcome.latencies_us.len();
    outcome.latencies_us.sort_unstable();
    outcome.bodies = std::mem::take(&mut bodies.lock().unwrap());
    outcome
}

/// CPU time used so far by the processes sharing the machine during a scenario.
#[derive(Clone, Copy)]
struct Cpu {
    otpgram: Duration,
    redis: Duration,
    /// The PostgreSQL server's processes (not counted with SQLite, which runs inside otpgram).
    postgres: Duration,
    /// This process: the load generator and the fake Telegram.
    bench: Duration,
}

impl Cpu {
    fn now(otpgram: &service::Process, redis: &service::Process, postgres: bool) -> Self {
        let of = |pid| service::cpu_time(pid).unwrap_or_default();
        Self {
            otpgram: of(otpgram.pid()),
            redis: of(redis.pid()),
            postgres: if postgres {
                service::cpu_time_of_all("postgres")
            } else {
                Duration::ZERO
            },
            bench: of(std::process::id()),
        }
    }

    fn since(self, earlier: Self) -> Self {
        Self {
            otpgram: self.otpgram.saturating_sub(earlier.otpgram),
            redis: self.redis.saturating_sub(earlier.redis),
            postgres: self.postgres.saturating_sub(earlier.postgres),
            bench: self.bench.saturating_sub(earlier.bench),
        }
    }

    fn total(self) -> Duration {
        self.otpgram + self.redis + self.postgres + self.bench
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize] as f64 / 1000.0
}

/// Exact Redis round trips per request: sends `n` requests one at a time while a `MONITOR`
/// connection watches, and counts the commands clients sent (not those run inside scripts, which
/// MONITOR marks `lua`). Returns the average and the commands seen.
async fn round_trips<F>(
    redis_port: u16,
    addr: &str,
    n: usize,
    make: F,
) -> anyhow::Result<(f64, String)>
where
    F: Fn(usize) -> Option<Request>,
{
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut monitor = tokio::net::TcpStream::connect(("127.0.0.1", redis_port)).await?;
    monitor.write_all(b"MONITOR\r\n").await?;
    let mut lines = BufReader::new(monitor).lines();
    lines.next_line().await?; // +OK
    let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
    let counter = seen.clone();
    let reader = tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            // 1700000000.123456 [0 127.0.0.1:5555] "EVALSHA" "…"   (or "[0 lua]")
            let Some((client, command)) = line.split_once("] \"") else {
                continue;
            };
            if client.ends_with(" lua") {
                continue;
            }
            let name = command
                .split('"')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if !BACKGROUND.contains(&name.as_str()) {
                *counter.lock().unwrap().entry(name).or_default() += 1;
            }
        }
    });
    let mut connection = Connection::new(addr);
    let mut sent = 0;
    for i in 0..n {
        let Some(request) = make(i) else { break };
        let _ = connection.send(&request).await;
        sent += 1;
    }
    // MONITOR lines trail the replies a little.
    tokio::time::sleep(Duration::from_millis(300)).await;
    reader.abort();
    let seen = seen.lock().unwrap().clone();
    let total: usize = seen.values().sum();
    let mut detail: Vec<String> = seen.iter().map(|(k, v)| format!("{k}×{v}")).collect();
    detail.sort();
    Ok((total as f64 / sent.max(1) as f64, detail.join(" ")))
}

/// redis-benchmark's requests/s for one command at `connections`.
fn redis_benchmark(port: u16, connections: usize, command: &[&str]) -> f64 {
    let mut args = vec![
        "-p".to_string(),
        port.to_string(),
        "-c".into(),
        connections.to_string(),
        "-n".into(),
        "300000".into(),
        "-r".into(),
        "1000000".into(),
        "-q".into(),
    ];
    args.extend(command.iter().map(|s| s.to_string()));
    let output = Command::new("redis-benchmark").args(&args).output();
    let text = output
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    // "SET …: 85034.02 requests per second, p50=…" (after carriage-return progress lines)
    text.rsplit('\r')
        .next()
        .and_then(|last| last.split(": ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

pub async fn run(binary: &Path, opts: Options) -> anyhow::Result<()> {
    let (redis, redis_port) = service::redis().await?;
    let telegram = FakeTelegram::start().await?;
    let dir = std::env::temp_dir().join(format!("otpgram-bench-login-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let database_url = match &opts.postgres {
        Some(server) => {
            let name = format!("otpgram_bench_{}", std::process::id());
            let admin = Database::connect(server.as_str()).await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(server);
            format!("{base}/{name}")
        }
        None => format!("sqlite://{}?mode=rwc", dir.join("bench.sqlite").display()),
    };
    let big = "1000000000";
    let mut env: Vec<(String, String)> = [
        ("REDIS_URL", format!("redis://127.0.0.1:{redis_port}")),
        ("DATABASE_URL", database_url.clone()),
        ("TELEGRAM_BOT_TOKEN", "1:bench".to_string()),
        // The fake's users send no language; the bench reads English texts.
        ("DEFAULT_LANGUAGE", "en".to_string()),
        ("TELEGRAM_API_URL", telegram.url.clone()),
        (
            "JWT_SECRET",
            "bench-secret-bench-secret-bench-secret".to_string(),
        ),
        ("DEFAULT_COUNTRY_CODE", "998".to_string()),
        ("RATE_LIMIT_PER_IP_PER_MINUTE", opts.ip_limit.to_string()),
        ("OTP_RESEND_COOLDOWN_SECONDS", "0".to_string()),
        ("OTP_MAX_SENDS_PER_HOUR", big.to_string()),
        ("OTP_MAX_ATTEMPTS", big.to_string()),
        ("OTP_MAX_FAILURES_PER_HOUR", big.to_string()),
        ("TELEGRAM_GLOBAL_RATE_PER_SECOND", "100000".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if opts.gateway {
        for (key, value) in [
            ("TELEGRAM_GATEWAY_TOKEN", "bench-gateway".to_string()),
            ("TELEGRAM_GATEWAY_URL", format!("{}/gateway", telegram.url)),
            ("GATEWAY_MAX_SENDS_PER_HOUR", big.to_string()),
        ] {
            env.push((key.to_string(), value));
        }
    }

    // Seed through the library, as an import would.
    println!("seeding {} linked phones…", opts.phones);
    let seed_started = Instant::now();
    let mut seed_env = env.clone();
    seed_env.push(("BIND_ADDR".into(), "127.0.0.1:0".into()));
    let seeder = App::build(Config::from_vars(seed_env)?).await?;
    let pairs: Vec<(Phone, TelegramId)> = (0..opts.phones)
        .map(|i| {
            Ok((
                Phone::parse(&phone(i), None).map_err(|e| anyhow::anyhow!("{e}"))?,
                TelegramId(telegram_id(i)),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    ops::import_bindings(seeder.state(), &pairs).await?;
    drop(seeder);
    println!("  seeded in {:.1?}", seed_started.elapsed());

    let (otpgram, base) = service::otpgram(binary, &env).await?;
    let addr = base.trim_start_matches("http://").to_string();
    let conns = opts.connections;
    println!("redis-benchmark at {conns} connections…");
    let redis_set = redis_benchmark(
        redis_port,
        conns,
        &["SET", "k:__rand_int__", "v", "EX", "600", "NX"],
    );
    let redis_getdel = redis_benchmark(redis_port, conns, &["GETDEL", "k:__rand_int__"]);
    let redis_ops = redis_set.min(redis_getdel);

    // The floor: what a service on this stack does for a wrong verify at the least (a JSON
    // body, one GET, a JSON 400), driven the same way against the same Redis.
    println!(
        "the floor (axum + fred: a JSON body, one GET, a JSON 400) for {} s…",
        opts.seconds
    );
    let (floor, floor_addr) = service::floor(redis_port).await?;
    let floor_phones = opts.phones;
    let floor_guess = move |i: usize| {
        Some(Request::post(
            "/verify",
            json!({ "phone": phone(i % floor_phones), "code": "000000" }).to_string(),
        ))
    };
    let floor_cpu0 = floor.cpu_time().unwrap_or_default();
    let out = drive(&floor_addr, conns, opts.seconds, 0, floor_guess).await;
    let floor_cpu = floor
        .cpu_time()
        .unwrap_or_default()
        .saturating_sub(floor_cpu0);
    let floor_rps = out.requests as f64 / out.elapsed.as_secs_f64();
    let floor_line = format!(
        "floor (axum + fred)    {floor_rps:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {:.1} CPU µs/req, {} errors (base of the floor× column)",
        percentile(&out.latencies_us, 0.5),
        percentile(&out.latencies_us, 0.99),
        floor_cpu.as_micros() as f64 / out.requests.max(1) as f64,
        out.errors,
    );
    drop(floor);

    let mut rows = Vec::new();
    let pg = opts.postgres.is_some();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut measure = |name: &'static str, outcome: Outcome, cpu: Cpu, rt: (f64, String)| {
        let rps = outcome.requests as f64 / outcome.elapsed.as_secs_f64();
        let per_request = |d: Duration| d.as_micros() as f64 / outcome.requests.max(1) as f64;
        let all = per_request(cpu.total());
        let postgres = if cpu.postgres.is_zero() {
            String::new()
        } else {
            format!(" + PostgreSQL {:.1}", per_request(cpu.postgres))
        };
        rows.push(format!(
            "{name:<22} {rps:>9.0} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>6} {:>7.2} {:>9.1} {:>6.2} {:>7.2}\n{:<22} Redis commands per {CALIBRATION} requests: {}; otpgram's peak RSS so far {:.1} MiB\n{:<22} CPU µs/req: otpgram {:.1} + redis {:.1}{postgres} + load generator and fake Telegram {:.1} = {all:.1} ({cores} cores fit {:.0} req/s)",
            percentile(&outcome.latencies_us, 0.5),
            percentile(&outcome.latencies_us, 0.99),
            percentile(&outcome.latencies_us, 0.999),
            outcome.errors,
            outcome.too_many,
            rt.0,
            per_request(cpu.otpgram),
            rps / redis_ops.max(1.0),
            rps / floor_rps.max(1.0),
            "",
            rt.1,
            otpgram.peak_rss_kib().unwrap_or(0) as f64 / 1024.0,
            "",
            per_request(cpu.otpgram),
            per_request(cpu.redis),
            per_request(cpu.bench),
            cores as f64 * 1e6 / all.max(0.001),
        ));
    };
    let phones = opts.phones;
    let secs = opts.seconds;

    // 1. Ask for codes over distinct phones.
    println!("1/5 POST /api/v1/otp/request for {secs} s…");
    let request = move |i: usize| {
        Some(Request::post(
            "/api/v1/otp/request",
            json!({ "phone": phone(i % phones) }).to_string(),
        ))
    };
    let rt = round_trips(redis_port, &addr, CALIBRATION, request).await?;
    let cpu0 = Cpu::now(&otpgram, &redis, pg);
    let out = drive(&addr, conns, secs, 0, request).await;
    let cpu = Cpu::now(&otpgram, &redis, pg).since(cpu0);
    measure("1 request code", out, cpu, rt);

    // The codes, as the customers got them.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut codes: HashMap<i64, String> = HashMap::new();
    for (chat, _, text) in telegram.sent() {
        if let Some(code) = text
            .split("<code>")
            .nth(1)
            .and_then(|r| r.split("</code>").next())
        {
            codes.insert(chat, code.to_string());
        }
    }
    let with_code: Vec<(String, String)> = (0..phones)
        .filter_map(|i| codes.get(&telegram_id(i)).map(|c| (phone(i), c.clone())))
        .collect();

    // 2. Wrong codes: the pure Redis path.
    println!("2/5 POST /api/v1/otp/verify with wrong codes for {secs} s…");
    let wrong = Arc::new(with_code.clone());
    let guess = move |i: usize| {
        let (phone, code) = &wrong[i % wrong.len().max(1)];
        let guess = if code == "000000" { "111111" } else { "000000" };
        Some(Request::post(
            "/api/v1/otp/verify",
            json!({ "phone": phone, "code": guess }).to_string(),
        ))
    };
    let rt = round_trips(redis_port, &addr, CALIBRATION, guess.clone()).await?;
    let cpu0 = Cpu::now(&otpgram, &redis, pg);
    let out = drive(&addr, conns, secs, 0, guess).await;
    let cpu = Cpu::now(&otpgram, &redis, pg).since(cpu0);
    measure("2 verify (wrong code)", out, cpu, rt);

    // 3. Right codes: consume, user update, session, tokens (each code once).
    println!(
        "3/5 POST /api/v1/otp/verify with right codes for {secs} s ({} codes)…",
        with_code.len()
    );
    let mut right = with_code.clone();
    let spare = right.split_off(right.len().saturating_sub(CALIBRATION));
    let verify = |pairs: Vec<(String, String)>| {
        move |i: usize| {
            let (phone, code) = pairs.get(i)?;
            Some(Request::post(
                "/api/v1/otp/verify",
                json!({ "phone": phone, "code": code }).to_string(),
            ))
        }
    };
    let rt = round_trips(redis_port, &addr, CALIBRATION, verify(spare)).await?;
    let cpu0 = Cpu::now(&otpgram, &redis, pg);
    let out = drive(&addr, conns, secs, 1000, verify(right)).await;
    let tokens: Vec<String> = out
        .bodies
        .iter()
        .filter_map(|b| b["access_token"].as_str().map(str::to_string))
        .collect();
    let cpu = Cpu::now(&otpgram, &redis, pg).since(cpu0);
    measure("3 verify (right code)", out, cpu, rt);

    // 4. The current user, with a valid token.
    println!("4/5 GET /api/v1/me for {secs} s…");
    anyhow::ensure!(!tokens.is_empty(), "scenario 3 produced no tokens");
    let me = move |i: usize| Some(Request::get("/api/v1/me", &tokens[i % tokens.len()]));
    let rt = round_trips(redis_port, &addr, CALIBRATION, me.clone()).await?;
    let cpu0 = Cpu::now(&otpgram, &redis, pg);
    let out = drive(&addr, conns, secs, 0, me).await;
    let cpu = Cpu::now(&otpgram, &redis, pg).since(cpu0);
    measure("4 GET /me", out, cpu, rt);

    // 5. Ask for codes for phones nobody linked: the answer must cost what a linked phone's
    // does (no database on the way), or its timing would tell customers apart.
    println!("5/5 POST /api/v1/otp/request for unlinked phones for {secs} s…");
    let unlinked = move |i: usize| {
        Some(Request::post(
            "/api/v1/otp/request",
            json!({ "phone": phone(phones + i) }).to_string(),
        ))
    };
    let rt = round_trips(redis_port, &addr, CALIBRATION, unlinked).await?;
    let cpu0 = Cpu::now(&otpgram, &redis, pg);
    let out = drive(&addr, conns, secs, 0, unlinked).await;
    let cpu = Cpu::now(&otpgram, &redis, pg).since(cpu0);
    measure("5 request (unlinked)", out, cpu, rt);
    if opts.gateway {
        println!(
            "{:<22} codes through the Gateway: {}",
            "",
            telegram.gateway_sends()
        );
    }

    println!();
    println!(
        "login benchmark: {conns} connections, {secs} s per scenario, {} ({phones} linked phones)",
        if opts.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!(
        "redis-benchmark        SET EX NX {redis_set:.0} ops/s, GETDEL {redis_getdel:.0} ops/s (ratio base: {redis_ops:.0})"
    );
    println!("{floor_line}");
    println!(
        "{:<22} {:>9} {:>8} {:>8} {:>8} {:>7} {:>6} {:>7} {:>9} {:>6} {:>7}",
        "scenario",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "errors",
        "429s",
        "RT/req",
        "CPU µs/req",
        "ratio",
        "floor×"
    );
    for row in rows {
        println!("{row}");
    }
    println!(
        "peak RSS (otpgram)     {:.1} MiB",
        otpgram.peak_rss_kib().unwrap_or(0) as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
