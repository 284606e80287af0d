//! The in-process bus: `publish` hands each event straight to the matching handlers and returns
//! only when they have all applied it.
//!
//! Memory alone would lose events in a crash; it does not need to keep any, because the outbox
//! marks an event relayed only after `publish` returns, i.e. after every consumer committed it.
//! Subscriptions must therefore all be made before the relays start (the runtime does so).

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::{BusError, Event, EventBus, EventHandler, topic_matches};

struct Subscription {
    consumer: String,
    topics: Vec<String>,
    handler: Arc<dyn EventHandler>,
}

/// Delivers events by calling handlers in this process.
#[derive(Default)]
pub struct InProcessBus {
    subscriptions: RwLock<Vec<Arc<Subscription>>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        let subscriptions = self.subscriptions.read().expect("not poisoned").clone();
        for event in events {
            for sub in subscriptions.iter().filter(|s| s.topics.iter().any(|t| topic_matches(t, &event.topic))) {
                event
                    .in_trace(sub.handler.handle(event))
                    .await
                    .map_err(|e| BusError::Consumer { event: event.id, message: format!("{}: {e:#}", sub.consumer) })?;
            }
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        consumer: &str,
        topics: &[&str],
        handler: Arc<dyn EventHandler>,
        _shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        let subscription = Subscription {
            consumer: consumer.to_owned(),
            topics: topics.iter().map(|t| (*t).to_owned()).collect(),
            handler,
        };
        self.subscriptions.write().expect("not poisoned").push(Arc::new(subscription));
        Ok(())
    }

    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }

    fn label(&self) -> &'static str {
        "events.memory"
    }
}
