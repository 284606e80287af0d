//! Politeness per host: at most `per_host_concurrency` fetches in flight to one host, and
//! `per_host_delay` between the starts of two of them, whatever the global worker count.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    time::Instant,
};

struct Host {
    in_flight: Arc<Semaphore>,
    /// When the next fetch may start.
    next_start: tokio::sync::Mutex<Instant>,
}

pub struct Hosts {
    per_host: usize,
    delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// A fetch's turn at its host; the slot frees when it is dropped.
pub struct Turn {
    _slot: OwnedSemaphorePermit,
}

impl Hosts {
    pub fn new(per_host: usize, delay: Duration) -> Self {
        Self { per_host, delay, hosts: Mutex::new(HashMap::new()) }
    }

    /// Waits for a free slot at `host` and for the delay since the last start there.
    pub async fn turn(&self, host: &str) -> Turn {
        let host = {
            let mut hosts = self.hosts.lock().expect("not poisoned");
            Arc::clone(hosts.entry(host.to_ascii_lowercase()).or_insert_with(|| {
                Arc::new(Host {
                    in_flight: Arc::new(Semaphore::new(self.per_host)),
                    next_start: tokio::sync::Mutex::new(Instant::now()),
                })
            }))
        };
        let permit = Arc::clone(&host.in_flight).acquire_owned().await.expect("never closed");
        let mut next_start = host.next_start.lock().await;
        tokio::time::sleep_until(*next_start).await;
        *next_start = Instant::now() + self.delay;
        Turn { _slot: permit }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_host_waits_others_do_not() {
        let hosts = Arc::new(Hosts::new(1, Duration::from_secs(1)));
        let start = Instant::now();
        let first = hosts.turn("a.example").await;
        let other = hosts.turn("b.example").await;
        assert_eq!(start.elapsed(), Duration::ZERO, "another host is not held up");
        drop(first);
        let _second = hosts.turn("A.example").await;
        assert_eq!(start.elapsed(), Duration::from_secs(1), "the same host waits for the delay");
        drop(other);
    }
}
