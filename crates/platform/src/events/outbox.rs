//! The transactional outbox: events are rows written in the same transaction as the change that
//! caused them, and a relay publishes them afterwards.
//!
//! Because the event and the change commit or roll back together, there is never a change
//! without its event nor an event without its change. The relay marks an event relayed only
//! after the bus accepted it, so a crash between the two republishes it (consumers dedupe).

use std::{sync::Arc, time::Duration};

use contracts::EventFamily;
use sqlx::{Any, Row, Transaction};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Event, EventBus};
use crate::{
    db::{Backend, Db, StoreError, now_ms, placeholders},
    trace_context::{Span, SpanKind, TraceContext},
};

/// Relayed events are kept this long for inspection, then deleted.
const KEEP_RELAYED_MS: i64 = 7 * 24 * 3600 * 1000;

/// Forgets, in one service's database, relayed events and the record of processed ones once
/// they are older than [`KEEP_RELAYED_MS`] (a redelivery comes within minutes, so the inbox
/// still recognises every duplicate): at start, then hourly, for every database, whether its
/// service relays events or only consumes them.
pub async fn housekeeping(db: Db, shutdown: CancellationToken) {
    loop {
        let cutoff = now_ms() - KEEP_RELAYED_MS;
        for (table, sql) in [
            ("riffle_outbox", "DELETE FROM riffle_outbox WHERE relayed_at_ms < $1"),
            ("riffle_inbox", "DELETE FROM riffle_inbox WHERE processed_at_ms < $1"),
        ] {
            match sqlx::query(sql).bind(cutoff).execute(db.writer()).await {
                Ok(done) if done.rows_affected() > 0 => {
                    tracing::debug!(table, database = db.label(), rows = done.rows_affected(), "expired event records")
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(table, database = db.label(), error = %err, "event housekeeping failed"),
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// Creates the event tables of a service's database if they do not exist: the outbox (events it
/// publishes), the inbox (events it applied), its subscriptions' queues on the in-process bus,
/// and their dead letters. Every service calls this before its own migrations; the tables are
/// the same everywhere.
pub async fn install(db: &Db) -> Result<(), StoreError> {
    let seq = match db.backend() {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let ddl = format!(
        "CREATE TABLE IF NOT EXISTS riffle_outbox (
            seq {seq},
            id TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,
            payload TEXT NOT NULL,
            traceparent TEXT,
            created_at_ms BIGINT NOT NULL,
            relayed_at_ms BIGINT
        );
        CREATE INDEX IF NOT EXISTS riffle_outbox_pending ON riffle_outbox (seq) WHERE relayed_at_ms IS NULL;
        CREATE TABLE IF NOT EXISTS riffle_inbox (
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            processed_at_ms BIGINT NOT NULL,
            PRIMARY KEY (consumer, event_id)
        );
        CREATE TABLE IF NOT EXISTS riffle_deliveries (
            seq {seq},
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            event TEXT NOT NULL,
            attempts BIGINT NOT NULL DEFAULT 0,
            last_error TEXT,
            enqueued_at_ms BIGINT NOT NULL,
            UNIQUE (consumer, event_id)
        );
        CREATE INDEX IF NOT EXISTS riffle_deliveries_by_consumer ON riffle_deliveries (consumer, seq);
        CREATE TABLE IF NOT EXISTS riffle_dead_letters (
            consumer TEXT NOT NULL,
            event_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            event TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            last_error TEXT NOT NULL,
            parked_at_ms BIGINT NOT NULL,
            replay_requested BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (consumer, event_id)
        );"
    );
    sqlx::raw_sql(&ddl).execute(db.writer()).await.map_err(StoreError::from_sqlx)?;
    // Outboxes made before events carried a schema version get the column (both dialects accept
    // this ALTER; it fails only when the column exists).
    if sqlx::query("SELECT version FROM riffle_outbox LIMIT 1").fetch_optional(db.writer()).await.is_err() {
        sqlx::query("ALTER TABLE riffle_outbox ADD COLUMN version BIGINT NOT NULL DEFAULT 1")
            .execute(db.writer())
            .await
            .map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

/// Writes `event` into the outbox as part of `tx`. Use `change::Change::emit`, which also wakes
/// the relay after the commit.
pub async fn enqueue<F: EventFamily>(tx: &mut Transaction<'static, Any>, event: &F) -> Result<Event, StoreError> {
    let event = Event {
        id: Uuid::now_v7(),
        topic: event.topic().to_owned(),
        version: F::VERSION,
        occurred_at_ms: now_ms(),
        // A producer span under the work that wrote it: the consumers' spans hang from it.
        traceparent: TraceContext::current().map(|current| {
            let mut span = Span::start(Some(current), SpanKind::Producer, format!("{} publish", event.topic()));
            span.set_attribute("messaging.operation.type", "send");
            span.set_attribute("messaging.destination.name", event.topic().to_owned());
            span.context().to_string()
        }),
        payload: event.to_payload(),
    };
    sqlx::query(
        "INSERT INTO riffle_outbox (id, topic, version, payload, traceparent, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.id.to_string())
    .bind(&event.topic)
    .bind(i64::from(event.version))
    .bind(event.payload.to_string())
    .bind(event.traceparent.clone())
    .bind(event.occurred_at_ms)
    .execute(&mut **tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(event)
}

/// Wakes a relay after a commit; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct RelayHandle(Arc<Notify>);

impl RelayHandle {
    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Publishes one service's pending outbox events to the bus.
pub struct Relay {
    service: &'static str,
    db: Db,
    bus: Arc<dyn EventBus>,
    batch: u32,
    interval: Duration,
    handle: RelayHandle,
}

/// Pending events, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub pending: i64,
    /// Age of the oldest pending event, in milliseconds (0 when none).
    pub oldest_ms: i64,
}

impl Relay {
    pub fn new(service: &'static str, db: Db, bus: Arc<dyn EventBus>, batch: u32, interval: Duration) -> Self {
        Self { service, db, bus, batch, interval, handle: RelayHandle::default() }
    }

    pub fn handle(&self) -> RelayHandle {
        self.handle.clone()
    }

    /// Publishes up to one batch of pending events; returns how many were relayed.
    pub async fn relay_once(&self) -> anyhow::Result<usize> {
        let rows = sqlx::query(
            "SELECT seq, id, topic, version, payload, traceparent, created_at_ms FROM riffle_outbox \
             WHERE relayed_at_ms IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(i64::from(self.batch))
        .fetch_all(self.db.reader())
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let mut seqs = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            seqs.push(row.try_get::<i64, _>("seq")?);
            let payload: String = row.try_get("payload")?;
            events.push(Event {
                id: row.try_get::<String, _>("id")?.parse()?,
                topic: row.try_get("topic")?,
                version: row.try_get::<i64, _>("version")? as u32,
                occurred_at_ms: row.try_get("created_at_ms")?,
                traceparent: row.try_get("traceparent")?,
                payload: serde_json::from_str(&payload)?,
            });
        }
        self.bus.publish(&events).await?;
        // Mark exactly the rows published: on PostgreSQL a lower seq can commit after a higher one,
        // so a range would also mark an event that was never read.
        let sql = format!("UPDATE riffle_outbox SET relayed_at_ms = $1 WHERE seq IN ({})", placeholders(2, seqs.len()));
        let mut update = sqlx::query(&sql).bind(now_ms());
        for seq in &seqs {
            update = update.bind(*seq);
        }
        update.execute(self.db.writer()).await?;
        metrics::counter!("riffle_events_relayed_total", "service" => self.service).increment(events.len() as u64);
        Ok(events.len())
    }

    /// How many events wait, and for how long the oldest has.
    pub async fn backlog(&self) -> anyhow::Result<Backlog> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS pending, MIN(created_at_ms) AS oldest FROM riffle_outbox WHERE relayed_at_ms IS NULL",
        )
        .fetch_one(self.db.reader())
        .await?;
        let pending: i64 = row.try_get("pending")?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        Ok(Backlog { pending, oldest_ms: oldest.map_or(0, |t| (now_ms() - t).max(0)) })
    }

    /// Relays until the outbox is empty or `deadline` passes; used on graceful shutdown.
    pub async fn flush(&self, deadline: Duration) -> anyhow::Result<()> {
        tokio::time::timeout(deadline, async {
            while self.relay_once().await? > 0 {}
            anyhow::Ok(())
        })
        .await
        .map_err(|_| anyhow::anyhow!("outbox of {} not drained within {deadline:?}", self.service))?
    }

    /// Runs until `shutdown`, then flushes what is left.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut failures = 0u32;
        loop {
            match self.relay_once().await {
                Ok(n) if n == self.batch as usize => {
                    failures = 0;
                    continue;
                }
                Ok(_) => failures = 0,
                Err(err) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        service = self.service,
                        error = format!("{err:#}"),
                        "outbox relay failed; will retry"
                    );
                }
            }
            if let Ok(backlog) = self.backlog().await {
                metrics::gauge!("riffle_outbox_pending", "service" => self.service).set(backlog.pending as f64);
                metrics::gauge!("riffle_outbox_lag_seconds", "service" => self.service)
                    .set(backlog.oldest_ms as f64 / 1000.0);
            }
            // Back off exponentially while the bus is down, up to 30 intervals.
            let pause = self.interval * failures.min(5).pow(2).max(1);
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.handle.0.notified() => {}
                () = tokio::time::sleep(pause) => {}
            }
        }
        if let Err(err) = self.flush(Duration::from_secs(5)).await {
            tracing::warn!(
                service = self.service,
                error = format!("{err:#}"),
                "outbox not fully flushed on shutdown; the rest is relayed after restart"
            );
        }
    }
}
