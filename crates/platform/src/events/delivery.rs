//! Handing one event to one subscription's handler: retried in place with backoff, so events
//! reach a consumer in order, and parked as a dead letter after the last attempt, so that one
//! event that always fails cannot stop its consumer for ever. Both buses deliver through here,
//! a batch at a time, split into the subscription's [`Lanes`](super::Lanes) ([`lanes_of`]).

use std::{
    hash::{Hash, Hasher},
    time::Duration,
};

use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

use super::{Event, RetryPolicy, Subscription, dead_letters};

/// What became of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The handler applied it.
    Applied,
    /// It failed every attempt and waits in the dead letters.
    Parked,
    /// The process is stopping; the event was neither applied nor parked.
    Interrupted,
}

/// Delivers `event` to `subscription`, which has already failed on it `earlier_failures` times
/// (in an earlier process, say). `failed` is told of each failure with the attempts so far, so a
/// bus can remember them across a restart.
pub async fn deliver(
    subscription: &Subscription,
    event: &Event,
    policy: &RetryPolicy,
    earlier_failures: u32,
    shutdown: &CancellationToken,
    mut failed: impl FnMut(u32, String) -> BoxFuture<'static, ()>,
) -> Outcome {
    let consumer = subscription.consumer.as_str();
    let mut failures = earlier_failures;
    loop {
        let error = match event.in_trace(consumer, subscription.handler.handle(event)).await {
            Ok(()) => {
                metrics::counter!("riffle_events_delivered_total", "consumer" => consumer.to_owned()).increment(1);
                return Outcome::Applied;
            }
            Err(error) => format!("{error:#}"),
        };
        failures += 1;
        metrics::counter!("riffle_events_failed_total", "consumer" => consumer.to_owned()).increment(1);
        if failures >= policy.max_attempts.max(1) {
            match dead_letters::park(&subscription.db, consumer, event, failures, &error).await {
                Ok(()) => {
                    metrics::counter!("riffle_events_dead_lettered_total", "consumer" => consumer.to_owned())
                        .increment(1);
                    tracing::error!(
                        consumer,
                        event = %event.id,
                        topic = %event.topic,
                        attempts = failures,
                        error,
                        "event parked as a dead letter; `riffle events dead-letters` lists it, `--replay` retries it"
                    );
                    return Outcome::Parked;
                }
                Err(park_error) => tracing::warn!(
                    consumer,
                    event = %event.id,
                    error = %park_error,
                    "cannot park a failing event; it stays at the head of its queue"
                ),
            }
        } else {
            tracing::warn!(consumer, event = %event.id, topic = %event.topic, attempt = failures, error, "consumer failed; will retry");
        }
        failed(failures, error).await;
        tokio::select! {
            () = shutdown.cancelled() => return Outcome::Interrupted,
            () = tokio::time::sleep(policy.backoff(failures)) => {}
        }
    }
}

/// How often a subscription looks for dead letters an operator asked to replay.
pub const REPLAY_CHECK: Duration = Duration::from_secs(2);

/// Delivers a batch in the subscription's lanes: each lane (see [`lanes_of`]) runs `lane` on a
/// task of its own, and this returns once every lane has, so the next batch never overtakes an
/// event of this one. A lane that panicked is logged and left out: its events were neither
/// acknowledged nor forgotten, so they come again.
pub async fn in_lanes<T, R, F>(
    subscription: &Subscription,
    batch: Vec<T>,
    event: impl Fn(&T) -> &Event,
    lane: impl Fn(Vec<T>) -> F,
) -> Vec<R>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    let mut running = tokio::task::JoinSet::new();
    for items in lanes_of(subscription, batch, event) {
        running.spawn(lane(items));
    }
    let mut results = Vec::new();
    while let Some(done) = running.join_next().await {
        match done {
            Ok(result) => results.push(result),
            Err(err) => tracing::error!(consumer = %subscription.consumer, error = %err, "a delivery lane panicked"),
        }
    }
    results
}

/// Splits a batch into the subscription's lanes: items whose events share a key share a lane,
/// in the batch's order. Without lanes, one lane holds the whole batch. Empty lanes are left out.
pub fn lanes_of<T>(subscription: &Subscription, batch: Vec<T>, event: impl Fn(&T) -> &Event) -> Vec<Vec<T>> {
    let Some(lanes) = subscription.lanes else { return vec![batch] };
    let mut split: Vec<Vec<T>> = (0..lanes.count).map(|_| Vec::new()).collect();
    for item in batch {
        let lane = (lanes.key)(event(&item)).map_or(0, |key| {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut hasher);
            (hasher.finish() % lanes.count as u64) as usize
        });
        split[lane].push(item);
    }
    split.retain(|lane| !lane.is_empty());
    split
}
