//! Dependencies going away and coming back.

use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{eventually, spawn_app_with};

/// A redis-server of this test's own, on a free port, so stopping it disturbs no other test.
struct OwnRedis {
    port: u16,
    child: Child,
}

impl OwnRedis {
    fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/test installs it)");
        Self { port, child }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_up(port: u16) {
    eventually(10, "redis-server to listen", || async move {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
}

#[tokio::test]
async fn redis_down_gives_503_and_the_service_recovers_by_itself() {
    let port = free_port();
    let mut redis = OwnRedis::start_on(port);
    wait_until_up(port).await;
    let url = redis.url();
    let app = spawn_app_with(&[
        ("REDIS_URL", url.as_str()),
        ("OTP_RESEND_COOLDOWN_SECONDS", "0"),
    ])
    .await;
    app.link(5001, "+998901234567").await;
    assert_eq!(
        app.request_code("+998901234567").await.status(),
        StatusCode::ACCEPTED
    );

    redis.stop();
    let down = eventually(15, "a 503 while Redis is down", || async {
        let response = app.request_code("+998901234567").await;
        (response.status() == StatusCode::SERVICE_UNAVAILABLE).then_some(response)
    })
    .await;
    let body: Value = down.json().await.unwrap();
    assert_eq!(body["error"], "unavailable");
    // Verify fails the same clean way.
    let verify = app.verify("+998901234567", "123456").await;
    assert_eq!(verify.status(), StatusCode::SERVICE_UNAVAILABLE);

    // Redis returns (empty: its data is lost). The service reconnects, and the binding comes
    // back from the database.
    let _redis = OwnRedis::start_on(port);
    wait_until_up(port).await;
    eventually(20, "the service to recover", || async {
        (app.request_code("+998901234567").await.status() == StatusCode::ACCEPTED).then_some(())
    })
    .await;
    let code = app.nth_code_for(5001, 2).await;
    assert_eq!(
        app.verify("+998901234567", &code).await.status(),
        StatusCode::OK
    );
}
