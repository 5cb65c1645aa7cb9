//! On-demand measurements (not timed tests: nothing here asserts a duration).
//! `cargo test --release --test api measure -- --ignored --nocapture`

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::spawn_app_with;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(what: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{what:<28} n={:<4} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

#[tokio::test]
#[ignore = "a measurement, run on demand"]
async fn measure_request_and_verify_round_trip() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP_PER_MINUTE", "0")]).await;
    let (mut request, mut delivery, mut verify) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..200 {
        let user = 90_000 + i;
        let phone = format!("+99890{:07}", 1_000_000 + i);
        app.link(user, &phone).await;
        let start = Instant::now();
        assert_eq!(
            app.request_code(&phone).await.status(),
            StatusCode::ACCEPTED
        );
        request.push(start.elapsed());
        let code = app.nth_code_for(user, 1).await;
        delivery.push(start.elapsed());
        let start = Instant::now();
        assert_eq!(app.verify(&phone, &code).await.status(), StatusCode::OK);
        verify.push(start.elapsed());
    }
    report("POST /otp/request", request);
    report("request → code in Telegram", delivery);
    report("POST /otp/verify (success)", verify);
}
