//! Handing one event to one subscription's handler: retried in place with backoff, so events
//! reach a consumer in order, and parked as a dead letter after the last attempt, so that one
//! event that always fails cannot stop its consumer for ever. Both buses deliver through here.

use std::time::Duration;

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
        let error = match event.in_trace(subscription.handler.handle(event)).await {
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
