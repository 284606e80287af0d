//! The NATS JetStream bus, for services running in separate processes.
//!
//! All events go to one stream whose subjects are `<prefix>.<topic>`. Publishing sets
//! `Nats-Msg-Id` to the event id, so JetStream drops a re-publish of the same event within its
//! duplicate window (a relay that crashed after publishing). Consumers are durable pull
//! consumers with explicit acks: an event is acknowledged only after its handler committed, and
//! a failed handler asks for redelivery after a pause.

use std::{sync::Arc, time::Duration};

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, DeliverPolicy, pull},
    stream,
};
use async_trait::async_trait;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::{BusError, Event, EventBus, EventHandler};

/// Events older than this are dropped from the stream; consumers down for longer must rebuild.
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Within this window JetStream discards a second publish of the same event id.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long a consumer may work on one event before JetStream redelivers it.
const ACK_WAIT: Duration = Duration::from_secs(30);
/// Pause before redelivering an event whose handler failed.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// A JetStream-backed [`EventBus`].
pub struct NatsBus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: String,
    prefix: String,
}

impl NatsBus {
    /// Connects and makes sure the stream exists. The subject prefix is the lowercased stream name,
    /// so separate streams (e.g. one per test) never overlap.
    pub async fn connect(url: &str, stream_name: &str) -> Result<NatsBus, BusError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| BusError::Unreachable(format!("cannot reach NATS at {url}: {e}")))?;
        let jetstream = jetstream::new(client.clone());
        let prefix = stream_name.to_lowercase();
        jetstream
            .get_or_create_stream(stream::Config {
                name: stream_name.to_owned(),
                subjects: vec![format!("{prefix}.>")],
                max_age: RETENTION,
                duplicate_window: DUPLICATE_WINDOW,
                storage: stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                BusError::Unreachable(format!(
                    "JetStream stream {stream_name} unavailable (is JetStream enabled?): {e}"
                ))
            })?;
        Ok(NatsBus { client, jetstream, stream: stream_name.to_owned(), prefix })
    }

    fn subject(&self, topic: &str) -> String {
        format!("{}.{topic}", self.prefix)
    }
}

#[async_trait]
impl EventBus for NatsBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        // Send the whole batch before waiting for acks: one round trip instead of one per event.
        let mut acks = Vec::with_capacity(events.len());
        for event in events {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(async_nats::header::NATS_MESSAGE_ID, event.id.to_string().as_str());
            if let Some(traceparent) = &event.traceparent {
                headers.insert("traceparent", traceparent.as_str());
            }
            let body = serde_json::to_vec(event).map_err(|e| BusError::Other(e.to_string()))?;
            let ack = self
                .jetstream
                .publish_with_headers(self.subject(&event.topic), headers, body.into())
                .await
                .map_err(|e| BusError::Unreachable(e.to_string()))?;
            acks.push(ack);
        }
        for ack in acks {
            ack.await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        }
        Ok(())
    }

    async fn subscribe(
        &self,
        consumer: &str,
        topics: &[&str],
        handler: Arc<dyn EventHandler>,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        let stream = self.jetstream.get_stream(&self.stream).await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        // Durable names may not contain `.`, `*` or `>`; Riffle's consumer names use dots.
        let durable: String =
            consumer.chars().map(|c| if matches!(c, '.' | '*' | '>' | ' ') { '-' } else { c }).collect();
        let consumer_handle = stream
            .get_or_create_consumer(
                &durable,
                pull::Config {
                    durable_name: Some(durable.clone()),
                    // One filter goes in `filter_subject`, which every JetStream server supports;
                    // several need `filter_subjects` (server 2.10+; older ones ignore it, so
                    // events are also matched below).
                    filter_subject: match topics {
                        [one] => self.subject(one),
                        _ => String::new(),
                    },
                    filter_subjects: match topics {
                        [_] => Vec::new(),
                        many => many.iter().map(|t| self.subject(t)).collect(),
                    },
                    ack_policy: AckPolicy::Explicit,
                    ack_wait: ACK_WAIT,
                    deliver_policy: DeliverPolicy::All,
                    ..Default::default()
                },
            )
            .await
            .map_err(|e| BusError::Other(format!("cannot create consumer {consumer}: {e}")))?;
        let mut messages = consumer_handle.messages().await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        let name = consumer.to_owned();
        let topics: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
        tokio::spawn(async move {
            loop {
                let message = tokio::select! {
                    () = shutdown.cancelled() => break,
                    next = messages.next() => match next {
                        Some(Ok(message)) => message,
                        Some(Err(err)) => {
                            tracing::warn!(consumer = %name, error = %err, "event stream error; retrying");
                            tokio::time::sleep(RETRY_DELAY).await;
                            continue;
                        }
                        None => break,
                    },
                };
                let event: Event = match serde_json::from_slice(&message.payload) {
                    Ok(event) => event,
                    Err(err) => {
                        // A message no consumer can ever read: acknowledge it so it does not block the rest.
                        tracing::error!(consumer = %name, error = %err, "undecodable event dropped");
                        let _ = message.ack_with(AckKind::Term).await;
                        continue;
                    }
                };
                if !topics.iter().any(|t| super::topic_matches(t, &event.topic)) {
                    let _ = message.ack().await;
                    continue;
                }
                match event.in_trace(handler.handle(&event)).await {
                    Ok(()) => {
                        if let Err(err) = message.ack().await {
                            tracing::warn!(consumer = %name, event = %event.id, error = %err, "ack failed; event will be redelivered");
                        }
                    }
                    Err(err) => {
                        tracing::warn!(consumer = %name, event = %event.id, topic = %event.topic, error = ?err, "consumer failed; will retry");
                        let _ = message.ack_with(AckKind::Nak(Some(RETRY_DELAY))).await;
                    }
                }
            }
        });
        Ok(())
    }

    async fn ping(&self) -> Result<(), String> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(format!("NATS connection is {state:?}")),
        }
    }

    fn label(&self) -> &'static str {
        "events.nats"
    }
}
