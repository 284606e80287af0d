//! The event port: outbox, relay, bus and inbox together give at-least-once delivery and
//! exactly-once effects, on the in-process bus and on NATS JetStream alike.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use platform::trace_context::TraceContext;
use platform::{
    Db,
    events::{BusError, Event, EventBus, EventHandler, inbox, outbox, outbox::Relay},
};
use sqlx::Row;
use tokio_util::sync::CancellationToken;

use crate::backends::{self, TestDb};

/// A consumer that applies each event once (through the inbox) and records what it saw.
struct Recorder {
    db: Db,
    name: String,
    fail_first: AtomicUsize,
    attempts: AtomicUsize,
    seen: Mutex<Vec<String>>,
    /// The trace id current while each event was handled.
    traces: Mutex<Vec<Option<String>>>,
    _dir: Option<tempfile::TempDir>,
}

impl Recorder {
    async fn new(name: &str) -> Arc<Recorder> {
        let mut test = backends::sqlite().await;
        let (db, _dir) = (test.db.clone(), test._dir.take());
        sqlx::raw_sql("CREATE TABLE effects (event_id TEXT NOT NULL, topic TEXT NOT NULL)")
            .execute(db.writer())
            .await
            .unwrap();
        Arc::new(Recorder {
            db,
            name: name.to_owned(),
            fail_first: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
            seen: Mutex::default(),
            traces: Mutex::default(),
            _dir,
        })
    }

    async fn effects(&self) -> i64 {
        sqlx::query("SELECT COUNT(*) AS c FROM effects").fetch_one(self.db.reader()).await.unwrap().get("c")
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.traces.lock().unwrap().push(TraceContext::current().map(|c| c.trace_id_hex()));
        if self.fail_first.load(Ordering::SeqCst) > 0 {
            self.fail_first.fetch_sub(1, Ordering::SeqCst);
            anyhow::bail!("simulated consumer failure");
        }
        let mut tx = self.db.begin().await?;
        if inbox::claim(&mut tx, &self.name, event).await? {
            sqlx::query("INSERT INTO effects (event_id, topic) VALUES ($1, $2)")
                .bind(event.id.to_string())
                .bind(&event.topic)
                .execute(&mut *tx)
                .await?;
            self.seen.lock().unwrap().push(event.topic.clone());
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Waits for a condition that an asynchronous delivery makes true (not a performance check).
async fn eventually<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..200 {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn commit_event(db: &Db, topic: &str) -> Event {
    let mut tx = db.begin().await.unwrap();
    let event = outbox::enqueue(&mut tx, topic, &serde_json::json!({ "n": 1 })).await.unwrap();
    tx.commit().await.unwrap();
    event
}

fn relay(db: &Db, bus: &Arc<dyn EventBus>) -> Relay {
    Relay::new("test", db.clone(), Arc::clone(bus), 100, Duration::from_millis(50))
}

/// A bus that publishes and then fails, like a process killed after publishing but before the
/// relay could mark the events relayed.
struct CrashAfterPublish(Arc<dyn EventBus>);

#[async_trait]
impl EventBus for CrashAfterPublish {
    async fn publish(&self, events: &[Event]) -> Result<(), BusError> {
        self.0.publish(events).await?;
        Err(BusError::Other("process killed".into()))
    }
    async fn subscribe(
        &self,
        consumer: &str,
        topics: &[&str],
        handler: Arc<dyn EventHandler>,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        self.0.subscribe(consumer, topics, handler, shutdown).await
    }
    async fn ping(&self) -> Result<(), String> {
        self.0.ping().await
    }
    fn label(&self) -> &'static str {
        "crash"
    }
}

/// Runs `$body` as `async fn(TestDb, Arc<dyn EventBus>)` on every database × bus pair.
macro_rules! for_each_pair {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite_memory() {
                ($body)(backends::sqlite().await, backends::memory_bus()).await;
            }
            #[tokio::test]
            async fn sqlite_nats() {
                if let Some(bus) = backends::nats_bus().await {
                    ($body)(backends::sqlite().await, bus).await;
                }
            }
            #[tokio::test]
            async fn postgres_memory() {
                if let Some(db) = backends::postgres().await {
                    ($body)(db, backends::memory_bus()).await;
                }
            }
            #[tokio::test]
            async fn postgres_nats() {
                if let (Some(db), Some(bus)) = (backends::postgres().await, backends::nats_bus().await) {
                    ($body)(db, bus).await;
                }
            }
        }
    };
}

for_each_pair!(events_reach_matching_consumers_in_order, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let narrow = Recorder::new("narrow").await;
    let wide = Recorder::new("wide").await;
    let stop = CancellationToken::new();
    bus.subscribe("narrow", &["test.a.*"], Arc::clone(&narrow) as Arc<dyn EventHandler>, stop.clone()).await.unwrap();
    bus.subscribe("wide", &["test.>"], Arc::clone(&wide) as Arc<dyn EventHandler>, stop.clone()).await.unwrap();
    for topic in ["test.a.one", "test.b.two", "test.a.three", "other.a.four"] {
        commit_event(&t.db, topic).await;
    }
    while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}
    eventually("both consumers applied their events", || async {
        narrow.effects().await == 2 && wide.effects().await == 3
    })
    .await;
    assert_eq!(*narrow.seen.lock().unwrap(), ["test.a.one", "test.a.three"]);
    assert_eq!(*wide.seen.lock().unwrap(), ["test.a.one", "test.b.two", "test.a.three"]);
    stop.cancel();
});

for_each_pair!(
    an_event_committed_before_a_crash_is_delivered_after_restart,
    |t: TestDb, bus: Arc<dyn EventBus>| async move {
        // The change commits; the process dies before its relay runs.
        let event = commit_event(&t.db, "test.user.registered").await;
        t.db.close().await;

        // Restart: reopen the same database, subscribe, relay.
        let db = backends::reopen(&t).await;
        let consumer = Recorder::new("after-restart").await;
        let stop = CancellationToken::new();
        bus.subscribe("after-restart", &["test.>"], Arc::clone(&consumer) as Arc<dyn EventHandler>, stop.clone())
            .await
            .unwrap();
        let relay = relay(&db, &bus);
        assert_eq!(relay.backlog().await.unwrap().pending, 1);
        assert_eq!(relay.relay_once().await.unwrap(), 1);
        eventually("the event is applied", || async { consumer.effects().await == 1 }).await;
        assert_eq!(relay.backlog().await.unwrap().pending, 0);
        let applied: String =
            sqlx::query("SELECT event_id FROM effects").fetch_one(consumer.db.reader()).await.unwrap().get("event_id");
        assert_eq!(applied, event.id.to_string());
        stop.cancel();
    }
);

for_each_pair!(a_crash_after_publishing_redelivers_but_applies_once, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let consumer = Recorder::new("feed.once").await;
    let stop = CancellationToken::new();
    bus.subscribe("feed.once", &["test.>"], Arc::clone(&consumer) as Arc<dyn EventHandler>, stop.clone())
        .await
        .unwrap();
    commit_event(&t.db, "test.post.created").await;

    let crashing: Arc<dyn EventBus> = Arc::new(CrashAfterPublish(Arc::clone(&bus)));
    let err = relay(&t.db, &crashing).relay_once().await.unwrap_err();
    assert!(err.to_string().contains("process killed"), "publish succeeded, marking did not: {err:#}");
    assert_eq!(relay(&t.db, &bus).backlog().await.unwrap().pending, 1, "still pending after the crash");

    // After restart the relay publishes the same event again.
    assert_eq!(relay(&t.db, &bus).relay_once().await.unwrap(), 1);
    eventually("the event is applied", || async { consumer.effects().await == 1 }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(consumer.effects().await, 1, "the duplicate delivery had no second effect");
    stop.cancel();
});

for_each_pair!(a_failing_consumer_gets_the_event_again, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let consumer = Recorder::new("flaky").await;
    consumer.fail_first.store(1, Ordering::SeqCst);
    let stop = CancellationToken::new();
    bus.subscribe("flaky", &["test.>"], Arc::clone(&consumer) as Arc<dyn EventHandler>, stop.clone()).await.unwrap();
    commit_event(&t.db, "test.post.liked").await;
    let relay = relay(&t.db, &bus);
    let backlog = tokio::spawn({
        let stop = stop.clone();
        async move { relay.run(stop).await }
    });
    eventually("the event is applied after the failure", || async { consumer.effects().await == 1 }).await;
    assert!(consumer.attempts.load(Ordering::SeqCst) >= 2);
    stop.cancel();
    backlog.await.unwrap();
});

for_each_pair!(a_rolled_back_change_publishes_nothing, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let mut tx = t.db.begin().await.unwrap();
    outbox::enqueue(&mut tx, "test.never", &serde_json::json!({})).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(relay(&t.db, &bus).relay_once().await.unwrap(), 0);
});

for_each_pair!(consumers_continue_the_trace_of_the_change, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let consumer = Recorder::new("traced").await;
    let stop = CancellationToken::new();
    bus.subscribe("traced", &["test.>"], Arc::clone(&consumer) as Arc<dyn EventHandler>, stop.clone()).await.unwrap();
    let request = TraceContext::new_root();
    request.scope(commit_event(&t.db, "test.post.created")).await;
    relay(&t.db, &bus).relay_once().await.unwrap();
    eventually("the event is applied", || async { consumer.effects().await == 1 }).await;
    assert_eq!(*consumer.traces.lock().unwrap(), [Some(request.trace_id_hex())]);
    stop.cancel();
});
