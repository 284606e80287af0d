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
use contracts::EventFamily;
use platform::trace_context::TraceContext;
use platform::{
    Db,
    events::{
        BusError, Event, EventBus, EventHandler, Subscription, Watcher, dead_letters, inbox, outbox, outbox::Relay,
    },
};
use sqlx::Row;
use tokio_util::sync::CancellationToken;

use crate::backends::{self, TestDb};

/// Test events: any topic, so the suite can exercise topic matching.
#[derive(Debug, Clone, PartialEq)]
struct TestEvent(&'static str);

impl EventFamily for TestEvent {
    const TOPICS: &'static str = "test.>";
    const VERSION: u32 = 1;
    const ALL: &'static [&'static str] = &[];

    fn topic(&self) -> &'static str {
        self.0
    }

    fn to_payload(&self) -> serde_json::Value {
        serde_json::json!({ "n": 1 })
    }

    fn from_payload(_: &str, _: serde_json::Value) -> Result<Option<Self>, serde_json::Error> {
        Ok(None)
    }
}

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

async fn commit_event(db: &Db, topic: &'static str) -> Event {
    let mut tx = db.begin().await.unwrap();
    let event = outbox::enqueue(&mut tx, &TestEvent(topic)).await.unwrap();
    tx.commit().await.unwrap();
    event
}

/// Subscribes `recorder` (queued, deduplicated and dead-lettered in its own database).
async fn subscribe(
    bus: &Arc<dyn EventBus>,
    recorder: &Arc<Recorder>,
    topics: &[&'static str],
    stop: &CancellationToken,
) {
    let subscription = Subscription {
        consumer: recorder.name.clone(),
        topics: topics.to_vec(),
        handler: Arc::clone(recorder) as Arc<dyn EventHandler>,
        db: recorder.db.clone(),
        lanes: None,
    };
    bus.subscribe(subscription, stop.clone()).await.unwrap();
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
    async fn subscribe(&self, subscription: Subscription, shutdown: CancellationToken) -> Result<(), BusError> {
        self.0.subscribe(subscription, shutdown).await
    }
    async fn watch(
        &self,
        topics: &[&'static str],
        replay: Duration,
        watcher: Watcher,
        shutdown: CancellationToken,
    ) -> Result<(), BusError> {
        self.0.watch(topics, replay, watcher, shutdown).await
    }
    async fn consumers_stopped(&self) {
        self.0.consumers_stopped().await
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
    subscribe(&bus, &narrow, &["test.a.*"], &stop).await;
    subscribe(&bus, &wide, &["test.>"], &stop).await;
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
        subscribe(&bus, &consumer, &["test.>"], &stop).await;
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
    subscribe(&bus, &consumer, &["test.>"], &stop).await;
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
    subscribe(&bus, &consumer, &["test.>"], &stop).await;
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
    outbox::enqueue(&mut tx, &TestEvent("test.never")).await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(relay(&t.db, &bus).relay_once().await.unwrap(), 0);
});

for_each_pair!(consumers_continue_the_trace_of_the_change, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let consumer = Recorder::new("traced").await;
    let stop = CancellationToken::new();
    subscribe(&bus, &consumer, &["test.>"], &stop).await;
    let request = TraceContext::new_root();
    request.scope(commit_event(&t.db, "test.post.created")).await;
    relay(&t.db, &bus).relay_once().await.unwrap();
    eventually("the event is applied", || async { consumer.effects().await == 1 }).await;
    assert_eq!(*consumer.traces.lock().unwrap(), [Some(request.trace_id_hex())]);
    stop.cancel();
});

for_each_pair!(
    an_event_that_always_fails_is_parked_and_the_other_consumers_go_on,
    |t: TestDb, bus: Arc<dyn EventBus>| async move {
        let broken = Recorder::new("broken").await;
        broken.fail_first.store(usize::MAX, Ordering::SeqCst);
        let healthy = Recorder::new("healthy").await;
        let stop = CancellationToken::new();
        subscribe(&bus, &broken, &["test.>"], &stop).await;
        subscribe(&bus, &healthy, &["test.>"], &stop).await;
        let first = commit_event(&t.db, "test.post.created").await;
        let second = commit_event(&t.db, "test.post.liked").await;
        while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}

        eventually("the healthy consumer applied both", || async { healthy.effects().await == 2 }).await;
        eventually("both events are parked for the broken one", || async {
            dead_letters::list(&broken.db).await.unwrap().len() == 2
        })
        .await;
        let letters = dead_letters::list(&broken.db).await.unwrap();
        let parked: Vec<uuid::Uuid> = letters.iter().map(|l| l.event.id).collect();
        assert_eq!(parked, [first.id, second.id], "parked in order, the second after the first");
        for letter in &letters {
            assert_eq!(letter.consumer, "broken");
            assert_eq!(letter.attempts, backends::RETRY.max_attempts, "tried as often as the policy says");
            assert!(letter.last_error.contains("simulated consumer failure"), "{}", letter.last_error);
            assert!(!letter.replay_requested);
        }
        let attempts = broken.attempts.load(Ordering::SeqCst);
        assert_eq!(attempts, 2 * backends::RETRY.max_attempts as usize, "no attempt after parking");

        // Fixed, and replayed on request: each parked event is applied once and leaves the letters.
        broken.fail_first.store(0, Ordering::SeqCst);
        assert_eq!(dead_letters::request_replay(&broken.db, Some(first.id)).await.unwrap(), 1);
        eventually("the first is replayed", || async { broken.effects().await == 1 }).await;
        assert_eq!(dead_letters::list(&broken.db).await.unwrap().len(), 1, "only the one asked for");
        assert_eq!(dead_letters::request_replay(&broken.db, None).await.unwrap(), 1);
        eventually("the rest is replayed", || async { dead_letters::list(&broken.db).await.unwrap().is_empty() }).await;
        assert_eq!(broken.effects().await, 2);
        assert_eq!(healthy.effects().await, 2, "replays reach only the consumer that parked them");
        stop.cancel();
    }
);

for_each_pair!(a_replay_that_fails_again_stays_parked, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let broken = Recorder::new("still-broken").await;
    broken.fail_first.store(usize::MAX, Ordering::SeqCst);
    let stop = CancellationToken::new();
    subscribe(&bus, &broken, &["test.>"], &stop).await;
    commit_event(&t.db, "test.post.created").await;
    while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}
    eventually("parked", || async { dead_letters::list(&broken.db).await.unwrap().len() == 1 }).await;
    dead_letters::request_replay(&broken.db, None).await.unwrap();
    let parked_attempts = backends::RETRY.max_attempts;
    eventually("the replay was tried", || async {
        dead_letters::list(&broken.db).await.unwrap().first().is_some_and(|l| l.attempts == parked_attempts + 1)
    })
    .await;
    let letter = dead_letters::list(&broken.db).await.unwrap().remove(0);
    assert!(!letter.replay_requested, "a failed replay waits for the next request");
    assert_eq!(broken.effects().await, 0);
    stop.cancel();
});

for_each_pair!(
    watchers_see_events_as_they_pass_and_nats_replays_recent_ones,
    |t: TestDb, bus: Arc<dyn EventBus>| async move {
        let before = commit_event(&t.db, "test.session.ended").await;
        while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}
        let seen: Arc<Mutex<Vec<uuid::Uuid>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let watcher: Watcher = Arc::new(move |event: &Event| sink.lock().unwrap().push(event.id));
        let stop = CancellationToken::new();
        bus.watch(&["test.session.*"], Duration::from_secs(60), watcher, stop.clone()).await.unwrap();
        let after = commit_event(&t.db, "test.session.ended").await;
        commit_event(&t.db, "test.other.thing").await;
        while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}
        eventually("the watcher saw the new event", || async { seen.lock().unwrap().contains(&after.id) }).await;
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.iter().any(|id| *id != before.id && *id != after.id), "only matching topics: {seen:?}");
        if bus.label() == "events.nats" {
            assert_eq!(seen, [before.id, after.id], "NATS replays what was published within the window, in order");
        } else {
            assert_eq!(seen, [after.id], "the in-process bus keeps no history");
        }
        stop.cancel();
    }
);

/// An event with an ordering key and a place in its key's sequence.
#[derive(Debug, Clone, PartialEq)]
struct Keyed(String, u32);

impl EventFamily for Keyed {
    const TOPICS: &'static str = "test.keyed";
    const VERSION: u32 = 1;
    const ALL: &'static [&'static str] = &["test.keyed"];

    fn topic(&self) -> &'static str {
        "test.keyed"
    }

    fn to_payload(&self) -> serde_json::Value {
        serde_json::json!({ "key": self.0, "n": self.1 })
    }

    fn from_payload(_: &str, payload: serde_json::Value) -> Result<Option<Self>, serde_json::Error> {
        Ok(Some(Keyed(
            payload["key"].as_str().unwrap_or_default().to_owned(),
            payload["n"].as_u64().unwrap_or(0) as u32,
        )))
    }
}

/// Records the order each key's events were handled in, and how many were handled at once.
#[derive(Default)]
struct LaneRecorder {
    handled: Mutex<Vec<Keyed>>,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
}

#[async_trait]
impl EventHandler for LaneRecorder {
    async fn handle(&self, event: &Event) -> anyhow::Result<()> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        // Long enough for lanes that run side by side to overlap.
        tokio::time::sleep(Duration::from_millis(15)).await;
        let keyed = event.decode::<Keyed>("lanes")?.expect("a keyed event");
        self.handled.lock().unwrap().push(keyed);
        self.running.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }
}

for_each_pair!(lanes_keep_each_keys_order_and_run_side_by_side, |t: TestDb, bus: Arc<dyn EventBus>| async move {
    let recorder = Arc::new(LaneRecorder::default());
    let queue = backends::sqlite().await;
    let stop = CancellationToken::new();
    let subscription = Subscription {
        consumer: "lanes".into(),
        topics: vec![Keyed::TOPICS],
        handler: Arc::clone(&recorder) as Arc<dyn EventHandler>,
        db: queue.db.clone(),
        lanes: None,
    }
    .in_lanes(4, |event| event.payload.get("key")?.as_str());
    bus.subscribe(subscription, stop.clone()).await.unwrap();
    let keys = ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"];
    let mut tx = t.db.begin().await.unwrap();
    for n in 0..6 {
        for key in keys {
            outbox::enqueue(&mut tx, &Keyed(key.into(), n)).await.unwrap();
        }
    }
    tx.commit().await.unwrap();
    while relay(&t.db, &bus).relay_once().await.unwrap() > 0 {}
    eventually("every event is handled", || async { recorder.handled.lock().unwrap().len() == 48 }).await;
    let handled = recorder.handled.lock().unwrap().clone();
    for key in keys {
        let order: Vec<u32> = handled.iter().filter(|k| k.0 == key).map(|k| k.1).collect();
        assert_eq!(order, [0, 1, 2, 3, 4, 5], "{key}'s events in the order they were published");
    }
    assert!(recorder.most_at_once.load(Ordering::SeqCst) > 1, "lanes ran one after another");
    stop.cancel();
});
