//! The HTTP load driver: a fixed number of connections, each sending its next request as soon
//! as the last one answered (a closed loop, like wrk), for a fixed time after a warm-up. Latency
//! goes into an HdrHistogram per connection, merged at the end.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;

/// How hard and how long.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    pub connections: usize,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What a run measured.
pub struct Outcome {
    pub requests: u64,
    pub errors: u64,
    /// The first failure, to say what went wrong.
    pub first_error: Option<String>,
    pub seconds: f64,
    /// Microseconds.
    pub latency: Histogram<u64>,
}

impl Outcome {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.seconds
    }

    /// A latency percentile in milliseconds.
    pub fn ms(&self, percentile: f64) -> f64 {
        self.latency.value_at_percentile(percentile) as f64 / 1000.0
    }
}

pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid bounds")
}

/// One connection's HTTP client: HTTP/1.1 keep-alive, no pool beyond the one connection.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client builds")
}

/// Drives `load` with requests made by `request(client, rng)`; a non-2xx answer is an error.
pub async fn drive<F>(load: Load, seed: u64, request: F) -> Outcome
where
    F: Fn(&reqwest::Client, &mut fastrand::Rng) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let measure_from = started + load.warmup;
    let end = measure_from + load.duration;
    let tasks: Vec<_> = (0..load.connections)
        .map(|connection| {
            let request = Arc::clone(&request);
            tokio::spawn(async move {
                let client = client();
                let mut rng = fastrand::Rng::with_seed(seed ^ (connection as u64 + 1).wrapping_mul(0x9E37_79B9));
                let mut latency = histogram();
                let (mut requests, mut errors, mut first_error) = (0u64, 0u64, None);
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let result = request(&client, &mut rng).send().await;
                    let failure = match result {
                        Ok(response) if response.status().is_success() => {
                            response.bytes().await.err().map(|e| e.to_string())
                        }
                        Ok(response) => {
                            Some(format!("{} {}", response.status(), response.text().await.unwrap_or_default()))
                        }
                        Err(err) => Some(err.to_string()),
                    };
                    if sent >= measure_from {
                        requests += 1;
                        let _ = latency.record(sent.elapsed().as_micros() as u64);
                        if let Some(failure) = failure {
                            errors += 1;
                            first_error.get_or_insert(failure);
                        }
                    }
                }
                (requests, errors, first_error, latency)
            })
        })
        .collect();
    let mut outcome = Outcome {
        requests: 0,
        errors: 0,
        first_error: None,
        seconds: load.duration.as_secs_f64(),
        latency: histogram(),
    };
    for task in tasks {
        let (requests, errors, first_error, latency) = task.await.expect("load task does not panic");
        outcome.requests += requests;
        outcome.errors += errors;
        outcome.first_error = outcome.first_error.or(first_error);
        outcome.latency.add(latency).expect("same bounds");
    }
    outcome
}
