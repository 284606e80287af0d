//! The NATS JetStream bus, for services running in separate processes.
//!
//! All events go to one stream whose subjects are `<prefix>.<topic>`. Publishing sets
//! `Nats-Msg-Id` to the event id, so JetStream drops a re-publish of the same event within its
//! duplicate window (a relay that crashed after publishing). Each subscription is a durable pull
//! consumer with explicit acks, read by its own task: an event is acknowledged only after its
//! handler committed; a failure is retried in place (with progress acks, so JetStream does not
//! hand the event to another replica meanwhile) and parked as a dead letter after the last
//! attempt. The ack wait is short ([`ACK_WAIT`]): what a killed process had been handed but
//! not acknowledged is redelivered to its successor within seconds.

use std::time::Duration;

use async_nats::jetstream::{
    self, AckKind,
    consumer::{AckPolicy, DeliverPolicy, pull},
    stream,
};
use async_trait::async_trait;
use futures::{FutureExt as _, StreamExt};
use tokio_util::sync::CancellationToken;

use super::{
    BusError, Event, EventBus, RetryPolicy, Subscription, Watcher, dead_letters,
    delivery::{self, Outcome},
};

/// Events older than this are dropped from the stream; consumers down for longer must rebuild.
const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Within this window JetStream discards a second publish of the same event id.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long an event handed to a consumer may go without an ack or a progress report before
/// JetStream redelivers it (to this process or another replica).
const ACK_WAIT: Duration = Duration::from_secs(3);
/// How often a consumer still working on an event tells JetStream so.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How long one pull request waits for events before it is renewed.
const PULL_EXPIRES: Duration = Duration::from_secs(2);
/// Messages a consumer holds at once: few, so none waits in the client past [`ACK_WAIT`].
const PULL_BATCH: usize = 32;
/// Pause after the stream itself failed (not a handler).
const STREAM_RETRY: Duration = Duration::from_secs(1);

/// A JetStream-backed [`EventBus`].
pub struct NatsBus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    stream: String,
    prefix: String,
    policy: RetryPolicy,
    consumers: tokio_util::task::TaskTracker,
}

impl NatsBus {
    /// Connects and makes sure the stream exists. The subject prefix is the lowercased stream name,
    /// so separate streams (e.g. one per test) never overlap.
    pub async fn connect(url: &str, stream_name: &str, policy: RetryPolicy) -> Result<NatsBus, BusError> {
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
        Ok(NatsBus { client, jetstream, stream: stream_name.to_owned(), prefix, policy, consumers: Default::default() })
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

    async fn subscribe(&self, subscription: Subscription, shutdown: CancellationToken) -> Result<(), BusError> {
        let stream = self.jetstream.get_stream(&self.stream).await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        // Durable names may not contain `.`, `*` or `>`; Riffle's consumer names use dots.
        let durable: String =
            subscription.consumer.chars().map(|c| if matches!(c, '.' | '*' | '>' | ' ') { '-' } else { c }).collect();
        let topics = &subscription.topics;
        let config = pull::Config {
            durable_name: Some(durable.clone()),
            // One filter goes in `filter_subject`, which every JetStream server supports;
            // several need `filter_subjects` (server 2.10+; older ones ignore it, so events are
            // also matched below).
            filter_subject: match topics.as_slice() {
                [one] => self.subject(one),
                _ => String::new(),
            },
            filter_subjects: match topics.as_slice() {
                [_] => Vec::new(),
                many => many.iter().map(|t| self.subject(t)).collect(),
            },
            ack_policy: AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            deliver_policy: DeliverPolicy::All,
            ..Default::default()
        };
        // Creating a durable consumer that exists updates its settings (the ack wait of an
        // earlier version, say); a server too old to update keeps it as it is.
        let consumer = match stream.create_consumer(config.clone()).await {
            Err(_) => stream.get_or_create_consumer(&durable, config).await,
            ok => ok,
        }
        .map_err(|e| BusError::Other(format!("cannot create consumer {}: {e}", subscription.consumer)))?;
        // Short-lived pull requests: a killed process's outstanding ones lapse within PULL_EXPIRES,
        // so the server stops handing events to a reader that is gone.
        let messages = consumer
            .stream()
            .max_messages_per_batch(PULL_BATCH)
            .expires(PULL_EXPIRES)
            .heartbeat(PULL_EXPIRES / 2)
            .messages()
            .await
            .map_err(|e| BusError::Unreachable(e.to_string()))?;
        self.consumers.spawn(consume(subscription, messages, self.policy, shutdown));
        Ok(())
    }

    async fn watch(
        &self,
        topics: &[&'static str],
        replay: Duration,
        watcher: Watcher,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        let stream = self.jetstream.get_stream(&self.stream).await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        let start = time::OffsetDateTime::now_utc() - replay;
        let config = pull::OrderedConfig {
            // One filter is what every server takes (see `subscribe`); several are matched below.
            filter_subject: match topics {
                [one] => self.subject(one),
                _ => String::new(),
            },
            deliver_policy: DeliverPolicy::ByStartTime { start_time: start },
            ..Default::default()
        };
        let consumer = stream
            .create_consumer(config)
            .await
            .map_err(|e| BusError::Other(format!("cannot watch {topics:?}: {e}")))?;
        let mut messages = consumer.messages().await.map_err(|e| BusError::Unreachable(e.to_string()))?;
        let topics: Vec<&'static str> = topics.to_vec();
        tokio::spawn(async move {
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => break,
                    next = messages.next() => next,
                };
                match next {
                    Some(Ok(message)) => {
                        if let Ok(event) = serde_json::from_slice::<Event>(&message.payload)
                            && topics.iter().any(|t| super::topic_matches(t, &event.topic))
                        {
                            watcher(&event);
                        }
                    }
                    Some(Err(err)) => {
                        tracing::warn!(?topics, error = %err, "watch stream error; the ordered consumer resumes");
                        tokio::time::sleep(STREAM_RETRY).await;
                    }
                    None => break,
                }
            }
        });
        Ok(())
    }

    async fn consumers_stopped(&self) {
        self.consumers.close();
        self.consumers.wait().await;
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

/// One subscription's delivery task: takes what the server has handed over (up to
/// [`PULL_BATCH`]), delivers it in the subscription's lanes, and acknowledges each event as its
/// lane finishes with it.
async fn consume(
    subscription: Subscription,
    mut messages: pull::Stream,
    policy: RetryPolicy,
    shutdown: CancellationToken,
) {
    let name = subscription.consumer.clone();
    let mut replays = tokio::time::interval(delivery::REPLAY_CHECK);
    loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => break,
            _ = replays.tick() => {
                if let Err(err) = dead_letters::replay_requested(&subscription).await {
                    tracing::warn!(consumer = %name, error = %err, "cannot replay dead letters");
                }
                continue;
            }
            next = messages.next() => match next {
                Some(Ok(message)) => message,
                Some(Err(err)) => {
                    tracing::warn!(consumer = %name, error = %err, "event stream error; retrying");
                    tokio::time::sleep(STREAM_RETRY).await;
                    continue;
                }
                None => break,
            },
        };
        let mut batch = Vec::with_capacity(PULL_BATCH);
        let mut next = Some(first);
        while let Some(message) = next.take() {
            if let Some(pending) = pending(&subscription, message).await {
                batch.push(pending);
            }
            if batch.len() < PULL_BATCH
                && let Some(Some(Ok(message))) = messages.next().now_or_never()
            {
                next = Some(message);
            }
        }
        let stopped = delivery::in_lanes(
            &subscription,
            batch,
            |(_, event, _)| event,
            |lane| deliver_lane(subscription.clone(), lane, policy, shutdown.clone()),
        )
        .await;
        if stopped.contains(&true) {
            break;
        }
    }
}

/// The event a message carries, with the attempts earlier processes made on it; `None` (and
/// acknowledged) for what this subscription cannot or need not handle.
async fn pending(subscription: &Subscription, message: jetstream::Message) -> Option<(jetstream::Message, Event, u32)> {
    let event: Event = match serde_json::from_slice(&message.payload) {
        Ok(event) => event,
        Err(err) => {
            // A message no consumer can ever read: terminate it so it does not block the rest.
            tracing::error!(consumer = %subscription.consumer, error = %err, "undecodable event dropped");
            let _ = message.ack_with(AckKind::Term).await;
            return None;
        }
    };
    if !subscription.topics.iter().any(|t| super::topic_matches(t, &event.topic)) {
        let _ = message.ack().await;
        return None;
    }
    // Deliveries by earlier processes that ended without an ack count as attempts.
    let earlier = message.info().map_or(0, |info| (info.delivered - 1).clamp(0, i64::from(u32::MAX)) as u32);
    Some((message, event, earlier))
}

/// Delivers one lane's events in order, each acknowledged once applied or parked, with progress
/// reports while it takes long; returns whether the process is stopping.
async fn deliver_lane(
    subscription: Subscription,
    lane: Vec<(jetstream::Message, Event, u32)>,
    policy: RetryPolicy,
    shutdown: CancellationToken,
) -> bool {
    let mut lane = lane.into_iter();
    while let Some((message, event, earlier)) = lane.next() {
        let delivering = delivery::deliver(&subscription, &event, &policy, earlier, &shutdown, |_, _| {
            Box::pin(async {}) as futures::future::BoxFuture<'static, ()>
        });
        tokio::pin!(delivering);
        let mut progress = tokio::time::interval(PROGRESS_EVERY);
        progress.tick().await;
        let outcome = loop {
            tokio::select! {
                outcome = &mut delivering => break outcome,
                _ = progress.tick() => { let _ = message.ack_with(AckKind::Progress).await; }
            }
        };
        match outcome {
            Outcome::Applied | Outcome::Parked => {
                if let Err(err) = message.ack().await {
                    tracing::warn!(consumer = %subscription.consumer, event = %event.id, error = %err, "ack failed; event will be redelivered");
                }
            }
            Outcome::Interrupted => {
                // Hand them back at once, so another replica need not wait out the ack.
                let _ = message.ack_with(AckKind::Nak(None)).await;
                for (rest, _, _) in lane {
                    let _ = rest.ack_with(AckKind::Nak(None)).await;
                }
                return true;
            }
        }
    }
    false
}
