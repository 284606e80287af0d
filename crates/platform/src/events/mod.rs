//! The event port: domain events between services, delivered at least once and consumed
//! exactly once in effect.
//!
//! The path of an event:
//! 1. A service writes its change and the event in **one transaction** ([`outbox::enqueue`]).
//! 2. The [`outbox::Relay`] publishes pending events to the [`EventBus`] and only then marks
//!    them relayed. A crash in between publishes them again after restart: at least once.
//! 3. A consumer applies each event inside its own transaction guarded by [`inbox::claim`], so
//!    a duplicate is recognised and skipped: exactly once in effect.
//!
//! Two buses implement the port: [`memory::InProcessBus`] (one process; durability comes from
//! the outbox) and [`nats::NatsBus`] (JetStream, for services in separate processes).

pub mod inbox;
pub mod memory;
pub mod nats;
pub mod outbox;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One domain event, as it travels between services.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id; consumers deduplicate on it.
    pub id: Uuid,
    /// Dotted name `service.entity.verb`, e.g. `identity.user.registered`.
    pub topic: String,
    /// When the change was committed, in unix milliseconds.
    pub occurred_at_ms: i64,
    /// W3C `traceparent` of the request that caused the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    pub payload: serde_json::Value,
}

impl Event {
    /// Runs a consumer's work on this event in the trace of the request that caused it, so the
    /// events the consumer writes in turn continue the same trace.
    pub async fn in_trace<F: Future>(&self, work: F) -> F::Output {
        let context = self
            .traceparent
            .as_deref()
            .and_then(crate::trace_context::TraceContext::parse)
            .map_or_else(crate::trace_context::TraceContext::new_root, |parent| parent.child());
        context.scope(work).await
    }

    /// Decodes the payload into the type the consumer expects.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> anyhow::Result<T> {
        serde_json::from_value(self.payload.clone())
            .map_err(|e| anyhow::anyhow!("event {} ({}) has an unexpected payload: {e}", self.id, self.topic))
    }
}

/// Consumes events. Must be idempotent (see [`inbox`]): the bus may deliver an event twice.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// An error makes the bus deliver the event again later.
    async fn handle(&self, event: &Event) -> anyhow::Result<()>;
}

/// Why the bus could not take or deliver events.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("event bus unreachable: {0}")]
    Unreachable(String),
    #[error("a consumer failed on event {event}: {message}")]
    Consumer { event: Uuid, message: String },
    #[error("event bus: {0}")]
    Other(String),
}

/// Carries events from the outbox relays to the consumers.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes events in order. Returns once the bus has taken responsibility for all of them;
    /// on error some may have been published, and the caller publishes them all again.
    async fn publish(&self, events: &[Event]) -> Result<(), BusError>;

    /// Delivers every event whose topic matches one of `topics` to `handler`, under a durable
    /// consumer name: events published while the consumer was down are delivered when it returns.
    async fn subscribe(
        &self,
        consumer: &str,
        topics: &[&str],
        handler: Arc<dyn EventHandler>,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), BusError>;

    /// Whether the bus is reachable, for `/readyz`.
    async fn ping(&self) -> Result<(), String>;

    /// What `/readyz` calls this bus.
    fn label(&self) -> &'static str;
}

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
    use super::topic_matches;

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
}
