//! The in-process bus: each subscription's queue is a table (`riffle_deliveries`) in the
//! consumer's own database, drained in order by the subscription's own task (in lanes, when the
//! subscription has them).
//!
//! `publish` writes each event into the queue of every matching subscription (one statement per
//! subscription and batch) and returns; the outbox then marks the events relayed. Nothing lives
//! only in memory, so a crash loses nothing: the relay publishes again what it had not marked
//! (queues ignore an event they hold already), and a queue's rows survive for its task to drain
//! after the restart. Subscriptions must all be made before the relays start (the process does
//! so), or a relay could publish an event before its consumer's queue exists.

use std::{
    sync::{Arc, RwLock},
    time::Duration,
};

use async_trait::async_trait;
use sqlx::Row;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{
    BusError, Event, EventBus, RetryPolicy, Subscription, Watcher, dead_letters,
    delivery::{self, Outcome},
    topic_matches,
};
use crate::db::{StoreError, now_ms};

struct Queue {
    subscription: Subscription,
    wake: Notify,
}

/// Delivers events to subscriptions of this process.
pub struct InProcessBus {
    queues: RwLock<Vec<Arc<Queue>>>,
    watchers: RwLock<Vec<(Vec<&'static str>, Watcher)>>,
    policy: RetryPolicy,
    consumers: tokio_util::task::TaskTracker,
}

impl InProcessBus {
    pub fn new(policy: RetryPolicy) -> Self {
        Self { queues: RwLock::default(), watchers: RwLock::default(), policy, consumers: Default::default() }
    }
}

/// Events taken from a queue per round.
const BATCH: i64 = 128;

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        {
            let watchers = self.watchers.read().expect("not poisoned");
            for event in events {
                for (topics, watcher) in watchers.iter() {
                    if topics.iter().any(|t| topic_matches(t, &event.topic)) {
                        watcher(event);
                    }
                }
            }
        }
        let queues = self.queues.read().expect("not poisoned").clone();
        for queue in queues {
            let subscription = &queue.subscription;
            let matching: Vec<&Event> =
                events.iter().filter(|e| subscription.topics.iter().any(|t| topic_matches(t, &e.topic))).collect();
            if matching.is_empty() {
                continue;
            }
            enqueue(subscription, &matching)
                .await
                .map_err(|e| BusError::Other(format!("queue of {}: {e}", subscription.consumer)))?;
            queue.wake.notify_one();
        }
        Ok(())
    }

    async fn subscribe(&self, subscription: Subscription, shutdown: CancellationToken) -> Result<(), BusError> {
        let queue = Arc::new(Queue { subscription, wake: Notify::new() });
        self.queues.write().expect("not poisoned").push(Arc::clone(&queue));
        self.consumers.spawn(drain(queue, self.policy, shutdown));
        Ok(())
    }

    async fn watch(
        &self,
        topics: &[&'static str],
        _replay: Duration,
        watcher: Watcher,
        _shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        // No history to replay: what was published before this process started is known to its
        // producers, which run in this same process (see `events` for why).
        self.watchers.write().expect("not poisoned").push((topics.to_vec(), watcher));
        Ok(())
    }

    async fn consumers_stopped(&self) {
        self.consumers.close();
        self.consumers.wait().await;
    }

    async fn ping(&self) -> Result<(), String> {
        Ok(())
    }

    fn label(&self) -> &'static str {
        "events.memory"
    }
}

/// Adds events to a subscription's queue; one it holds already is left as it is.
async fn enqueue(subscription: &Subscription, events: &[&Event]) -> Result<(), StoreError> {
    for chunk in events.chunks(100) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${}, ${}, $2)", 3 + 2 * i, 4 + 2 * i)).collect();
        let sql = format!(
            "INSERT INTO riffle_deliveries (consumer, event_id, event, enqueued_at_ms) VALUES {} ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(&subscription.consumer).bind(now_ms());
        for event in chunk {
            let text = serde_json::to_string(event).map_err(|e| StoreError::Other(sqlx::Error::Encode(e.into())))?;
            query = query.bind(event.id.to_string()).bind(text);
        }
        query.execute(subscription.db.writer()).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// The subscription's delivery task: applies its queue in order until `shutdown`.
async fn drain(queue: Arc<Queue>, policy: RetryPolicy, shutdown: CancellationToken) {
    let subscription = &queue.subscription;
    let mut last_replay_check = tokio::time::Instant::now();
    loop {
        if last_replay_check.elapsed() >= delivery::REPLAY_CHECK {
            last_replay_check = tokio::time::Instant::now();
            if let Err(err) = dead_letters::replay_requested(subscription).await {
                tracing::warn!(consumer = %subscription.consumer, error = %err, "cannot replay dead letters");
            }
        }
        let batch = match next_batch(subscription).await {
            Ok(batch) => batch,
            Err(err) => {
                tracing::warn!(consumer = %subscription.consumer, error = %err, "cannot read the event queue; will retry");
                Vec::new()
            }
        };
        if batch.is_empty() {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = queue.wake.notified() => {}
                () = tokio::time::sleep(delivery::REPLAY_CHECK) => {}
            }
            continue;
        }
        let lanes = delivery::in_lanes(
            subscription,
            batch,
            |(_, event, _)| event,
            |lane| deliver_lane(subscription.clone(), lane, policy, shutdown.clone()),
        )
        .await;
        let interrupted = lanes.iter().any(|(_, stopped)| *stopped);
        let done: Vec<i64> = lanes.into_iter().flat_map(|(applied, _)| applied).collect();
        if let Err(err) = forget(subscription, &done).await {
            // They are applied (or parked); the inbox recognises them when they come again.
            tracing::warn!(consumer = %subscription.consumer, error = %err, "cannot clear delivered events");
        }
        if interrupted {
            return;
        }
    }
}

/// Delivers one lane's events in order; returns the rows applied or parked, and whether the
/// process is stopping.
async fn deliver_lane(
    subscription: Subscription,
    lane: Vec<(i64, Event, u32)>,
    policy: RetryPolicy,
    shutdown: CancellationToken,
) -> (Vec<i64>, bool) {
    let mut done = Vec::with_capacity(lane.len());
    for (seq, event, attempts) in lane {
        let db = subscription.db.clone();
        let remember = move |attempts: u32, error: String| -> futures::future::BoxFuture<'static, ()> {
            let db = db.clone();
            Box::pin(async move {
                let _ = sqlx::query("UPDATE riffle_deliveries SET attempts = $1, last_error = $2 WHERE seq = $3")
                    .bind(i64::from(attempts))
                    .bind(error)
                    .bind(seq)
                    .execute(db.writer())
                    .await;
            })
        };
        match delivery::deliver(&subscription, &event, &policy, attempts, &shutdown, remember).await {
            Outcome::Applied | Outcome::Parked => done.push(seq),
            Outcome::Interrupted => return (done, true),
        }
    }
    (done, false)
}

/// The next events of the queue. A row that is no event (written by no Riffle) is dropped with a
/// log line rather than block the queue.
async fn next_batch(subscription: &Subscription) -> Result<Vec<(i64, Event, u32)>, StoreError> {
    let rows =
        sqlx::query("SELECT seq, event, attempts FROM riffle_deliveries WHERE consumer = $1 ORDER BY seq LIMIT $2")
            .bind(&subscription.consumer)
            .bind(BATCH)
            .fetch_all(subscription.db.reader())
            .await
            .map_err(StoreError::from_sqlx)?;
    let mut batch = Vec::with_capacity(rows.len());
    for row in &rows {
        let seq: i64 = row.try_get("seq").map_err(StoreError::from_sqlx)?;
        let text: String = row.try_get("event").map_err(StoreError::from_sqlx)?;
        let attempts = row.try_get::<i64, _>("attempts").map_err(StoreError::from_sqlx)? as u32;
        match serde_json::from_str(&text) {
            Ok(event) => batch.push((seq, event, attempts)),
            Err(err) => {
                tracing::error!(consumer = %subscription.consumer, seq, error = %err, "undecodable queued event dropped");
                forget(subscription, &[seq]).await?;
            }
        }
    }
    Ok(batch)
}

async fn forget(subscription: &Subscription, seqs: &[i64]) -> Result<(), StoreError> {
    for chunk in seqs.chunks(500) {
        let sql = format!("DELETE FROM riffle_deliveries WHERE seq IN ({})", crate::db::placeholders(1, chunk.len()));
        let mut query = sqlx::query(&sql);
        for seq in chunk {
            query = query.bind(*seq);
        }
        query.execute(subscription.db.writer()).await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}
