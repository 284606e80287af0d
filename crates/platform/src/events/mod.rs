//! The event port: domain events between services, delivered at least once and consumed
//! exactly once in effect.
//!
//! The path of an event:
//! 1. A service writes its change and the event in **one transaction** (`change::Change::emit`,
//!    which calls [`outbox::enqueue`]).
//! 2. The [`outbox::Relay`] publishes pending events to the [`EventBus`] and only then marks
//!    them relayed. A crash in between publishes them again after restart: at least once.
//! 3. Each subscription has its own delivery task ([`delivery`]), which hands events to its
//!    handler in order and retries a failure with backoff, alone: one failing consumer never
//!    holds up another. An event that fails [`RetryPolicy::max_attempts`] times is parked as a
//!    dead letter ([`dead_letters`]) and the subscription moves on.
//! 4. The handler applies each event inside its own transaction guarded by [`inbox::claim`], so
//!    a duplicate is recognised and skipped: exactly once in effect. Services write consumers
//!    as `ingest::Ingest`, which does that part the same way for all of them.
//!
//! Two buses implement the port: [`memory::InProcessBus`] (one process; each subscription's
//! queue is a table in the consumer's own database, so nothing is lost in a crash) and
//! [`nats::NatsBus`] (JetStream, for services in separate processes).

pub mod dead_letters;
pub mod delivery;
pub mod inbox;
pub mod memory;
pub mod nats;
pub mod outbox;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use contracts::EventFamily;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::db::Db;

/// One domain event, as it travels between services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id; consumers deduplicate on it.
    pub id: Uuid,
    /// Dotted name `service.entity.verb`, e.g. `identity.user.registered`.
    pub topic: String,
    /// The schema version of the producer's event family (see `contracts`). Events written
    /// before versions existed are version 1.
    #[serde(default = "first_version")]
    pub version: u32,
    /// When the change was committed, in unix milliseconds.
    pub occurred_at_ms: i64,
    /// W3C `traceparent` of the request that caused the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub payload: serde_json::Value,
}

fn first_version() -> u32 {
    1
}

/// A payload that does not match its topic's contract: a bug in a producer, or a corrupted
/// message. The delivery retries it and then parks it as a dead letter.
#[derive(Debug, thiserror::Error)]
#[error("event {id} ({topic} v{version}) does not match its contract: {source}")]
pub struct Malformed {
    pub id: Uuid,
    pub topic: String,
    pub version: u32,
    #[source]
    pub source: serde_json::Error,
}

impl Event {
    /// Runs `consumer`'s work on this event as a span in the trace of the request that caused
    /// it, so the events the consumer writes in turn continue the same trace.
    pub async fn in_trace<T, E: std::fmt::Display>(
        &self,
        consumer: &str,
        work: impl Future<Output = Result<T, E>>,
    ) -> Result<T, E> {
        use crate::trace_context::{Span, SpanKind, TraceContext};
        let caller = self.traceparent.as_deref().and_then(TraceContext::parse);
        let mut span = Span::start(caller, SpanKind::Consumer, format!("{} process", self.topic));
        span.set_attribute("messaging.operation.type", "process");
        span.set_attribute("messaging.destination.name", self.topic.clone());
        span.set_attribute("messaging.consumer.group.name", consumer.to_owned());
        span.set_attribute("messaging.message.id", self.id.to_string());
        let outcome = span.context().scope(work).await;
        if let Err(error) = &outcome {
            span.fail(error.to_string());
        }
        outcome
    }

    /// Decodes the event into its family's type for `consumer`. An event this consumer cannot
    /// know (a topic the family does not have, or a version newer than it understands: a newer
    /// producer) is `Ok(None)`: skipped with a log line and `riffle_events_skipped_total`, never
    /// an error that would be retried for ever.
    pub fn decode<F: EventFamily>(&self, consumer: &str) -> Result<Option<F>, Malformed> {
        if self.version > F::VERSION {
            skipped(consumer, self, "newer_version");
            return Ok(None);
        }
        match F::from_payload(&self.topic, self.payload.clone()) {
            Ok(Some(event)) => Ok(Some(event)),
            Ok(None) => {
                skipped(consumer, self, "unknown_topic");
                Ok(None)
            }
            Err(source) => Err(Malformed { id: self.id, topic: self.topic.clone(), version: self.version, source }),
        }
    }
}

fn skipped(consumer: &str, event: &Event, reason: &'static str) {
    metrics::counter!("riffle_events_skipped_total", "consumer" => consumer.to_owned(), "reason" => reason)
        .increment(1);
    tracing::info!(
        consumer,
        event = %event.id,
        topic = %event.topic,
        version = event.version,
        reason,
        "event skipped: this consumer does not know it"
    );
}

/// Consumes events. Must be idempotent (see [`inbox`]): the bus may deliver an event twice.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// An error makes the delivery try again later, and park the event after
    /// [`RetryPolicy::max_attempts`].
    async fn handle(&self, event: &Event) -> anyhow::Result<()>;
}

/// A durable event subscription of a service.
#[derive(Clone)]
pub struct Subscription {
    /// Durable consumer name, unique per service and purpose (e.g. `feed.content`).
    pub consumer: String,
    pub topics: Vec<&'static str>,
    pub handler: Arc<dyn EventHandler>,
    /// The consumer's own database: its queue (in process), its inbox and its dead letters.
    pub db: Db,
    /// Without lanes, events are handled one at a time, in the order they were published.
    pub lanes: Option<Lanes>,
}

/// The key that orders a subscription's events: events with the same key are handled in the
/// order they were published, events with different keys perhaps at once. An event without a
/// key goes to the first lane.
pub type LaneKey = for<'a> fn(&'a Event) -> Option<&'a str>;

/// Events handled in up to `count` lanes at once, split by `key`.
#[derive(Clone, Copy)]
pub struct Lanes {
    pub count: usize,
    pub key: LaneKey,
}

impl Subscription {
    /// Handles events in up to `count` lanes at once, keeping the order of events with the
    /// same `key` (one author's posts, say). For consumers whose effects depend on no order
    /// between keys.
    #[must_use]
    pub fn in_lanes(mut self, count: usize, key: LaneKey) -> Self {
        self.lanes = (count > 1).then_some(Lanes { count, key });
        self
    }
}

/// How a subscription retries a failing event before parking it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before an event is parked as a dead letter (at least 1).
    pub max_attempts: u32,
    /// The pause after the first failure; it doubles after each further one.
    pub first_backoff: Duration,
    /// The longest pause between two attempts.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// The pause after the `failures`-th failure (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let doubled = self.first_backoff.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
        doubled.min(self.max_backoff)
    }
}

impl RetryPolicy {
    /// The policy `[events]` configures.
    pub fn of(config: &crate::config::EventsConfig) -> RetryPolicy {
        RetryPolicy {
            max_attempts: config.max_attempts,
            first_backoff: Duration::from_millis(config.retry_first_ms),
            max_backoff: Duration::from_millis(config.retry_max_ms),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 10, first_backoff: Duration::from_secs(1), max_backoff: Duration::from_secs(60) }
    }
}

/// Why the bus could not take or deliver events.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("event bus unreachable: {0}")]
    Unreachable(String),
    #[error("event bus: {0}")]
    Other(String),
}

/// Carries events from the outbox relays to the consumers.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes events in order. Returns once the bus has taken responsibility for all of them;
    /// on error some may have been published, and the caller publishes them all again.
    async fn publish(&self, events: &[Event]) -> Result<(), BusError>;

    /// Delivers every event whose topic matches one of the subscription's topics to its handler,
    /// under its durable consumer name: events published while the consumer was down are
    /// delivered when it returns. Runs the subscription's delivery task until `shutdown`.
    async fn subscribe(
        &self,
        subscription: Subscription,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), BusError>;

    /// Calls `watcher` with every event whose topic matches `topics`, from now on and, on a bus
    /// that keeps history (NATS), from `replay` ago. Not durable and not once only: for what
    /// every process keeps in memory (the verifier's revocations), not for changes to data.
    async fn watch(
        &self,
        topics: &[&'static str],
        replay: Duration,
        watcher: Watcher,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), BusError>;

    /// Waits until every subscription's delivery task has ended (after the shutdown its
    /// `subscribe` was given): nothing is applied after this returns.
    async fn consumers_stopped(&self);

    /// Whether the bus is reachable, for `/readyz`.
    async fn ping(&self) -> Result<(), String>;

    /// What `/readyz` calls this bus.
    fn label(&self) -> &'static str;
}

/// Sees events as they pass (see [`EventBus::watch`]).
pub type Watcher = Arc<dyn Fn(&Event) + Send + Sync>;

/// Whether `topic` matches `pattern`: segments separated by `.`, where `*` matches one segment and
/// a trailing `>` matches one or more (the NATS subject rules, so both buses agree).
pub fn topic_matches(pattern: &str, topic: &str) -> bool {
    let mut pattern = pattern.split('.');
    let mut topic = topic.split('.');
    loop {
        match (pattern.next(), topic.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(p), Some(t)) if p == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{RetryPolicy, topic_matches};

    #[test]
    fn topics_match_like_nats_subjects() {
        assert!(topic_matches("identity.user.registered", "identity.user.registered"));
        assert!(topic_matches("identity.user.*", "identity.user.deleted"));
        assert!(topic_matches("identity.>", "identity.user.deleted"));
        assert!(!topic_matches("identity.>", "identity"));
        assert!(!topic_matches("identity.user.*", "identity.user.deleted.extra"));
        assert!(!topic_matches("identity.user", "identity.user.deleted"));
        assert!(!topic_matches("content.>", "identity.user.deleted"));
    }

    fn event(topic: &str, version: u32, payload: serde_json::Value) -> super::Event {
        super::Event {
            id: uuid::Uuid::now_v7(),
            topic: topic.into(),
            version,
            occurred_at_ms: 0,
            traceparent: None,
            payload,
        }
    }

    #[test]
    fn consumers_skip_what_they_cannot_know_and_refuse_what_breaks_the_contract() {
        use contracts::identity::{IdentityEvent, UserRef};
        let user = serde_json::json!({ "user_id": uuid::Uuid::nil() });
        let known = event("identity.user.deleted", 1, user.clone()).decode::<IdentityEvent>("test").unwrap();
        assert_eq!(known, Some(IdentityEvent::UserDeleted(UserRef { user_id: uuid::Uuid::nil() })));
        assert_eq!(event("identity.user.renamed", 1, user.clone()).decode::<IdentityEvent>("test").unwrap(), None);
        assert_eq!(event("identity.user.deleted", 2, user).decode::<IdentityEvent>("test").unwrap(), None);
        let broken = event("identity.user.deleted", 1, serde_json::json!({ "id": 1 }));
        assert!(broken.decode::<IdentityEvent>("test").is_err());
        let old: super::Event = serde_json::from_value(serde_json::json!({
            "id": uuid::Uuid::nil(), "topic": "identity.user.deleted", "occurred_at_ms": 0, "payload": {}
        }))
        .unwrap();
        assert_eq!(old.version, 1, "events from before versions are version 1");
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let policy = RetryPolicy {
            max_attempts: 5,
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        let pauses: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
        assert_eq!(pauses, [100, 200, 400, 500, 500]);
    }
}
