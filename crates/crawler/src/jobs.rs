//! The scheduler: every second, and whenever a worker frees up or a source is added, lease the
//! sources that are due, as many as there are free workers, and fetch each in its host's turn.
//! Leases live in the database, so several replicas share the work without fetching one source
//! twice, and a replica that dies mid-fetch only delays its sources until their leases run out.

use std::{sync::Arc, time::Duration};

use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{Crawler, store::sources};

/// How long a fetch may hold its source: well past the fetch timeout and the host's delay.
pub fn lease_ms(crawler: &Crawler) -> i64 {
    let config = &crawler.config;
    ((config.timeout_secs * 3 + 60) * 1000 + config.per_host_delay_ms * 4) as i64
}

pub async fn schedule(crawler: Arc<Crawler>, shutdown: CancellationToken) {
    let workers = Arc::new(Semaphore::new(crawler.config.workers));
    let tracker = TaskTracker::new();
    let mut last_gauge = tokio::time::Instant::now() - Duration::from_secs(1);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = crawler.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
        // A count per second is enough for the gauge; wakes come once per finished fetch.
        if last_gauge.elapsed() >= Duration::from_secs(1) {
            last_gauge = tokio::time::Instant::now();
            if let Ok(due) = sources::due_count(&crawler.store).await {
                metrics::gauge!("riffle_crawler_sources_due").set(due as f64);
            }
        }
        let free = workers.available_permits();
        if free == 0 {
            continue;
        }
        let claimed = match sources::claim_due(&crawler.store, free, lease_ms(&crawler)).await {
            Ok(claimed) => claimed,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), "cannot lease due sources; will retry");
                continue;
            }
        };
        for source in claimed {
            let Ok(permit) = Arc::clone(&workers).acquire_owned().await else { break };
            let crawler = Arc::clone(&crawler);
            tracker.spawn(async move {
                match crawler.refresh(&source, false).await {
                    Ok(None) => {}
                    Ok(Some(error)) => {
                        tracing::info!(source = %source.id, url = %source.feed_url, error, "fetch failed")
                    }
                    Err(err) => {
                        tracing::warn!(source = %source.id, error = format!("{err:#}"), "cannot record a fetch")
                    }
                }
                drop(permit);
                // A free worker: look for due sources now rather than at the next tick.
                crawler.wake.notify_one();
            });
        }
    }
    tracker.close();
    tracker.wait().await;
}
