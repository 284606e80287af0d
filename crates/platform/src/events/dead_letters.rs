//! Dead letters: events a consumer failed on [`super::RetryPolicy::max_attempts`] times, parked
//! in the consumer's own database with the last error, for an operator to look at
//! (`riffle events dead-letters`) and retry (`--replay`). A replay is a request written here;
//! the consumer's delivery task picks it up within [`super::delivery::REPLAY_CHECK`], applies
//! the event once more, and removes the letter if that succeeds.

use sqlx::Row;
use uuid::Uuid;

use super::{Event, Subscription};
use crate::db::{Db, StoreError, now_ms};

/// One parked event.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetter {
    pub consumer: String,
    pub event: Event,
    pub attempts: u32,
    pub last_error: String,
    pub parked_at_ms: i64,
    pub replay_requested: bool,
}

/// Parks `event` for `consumer` (again, if it was parked and failed its replay).
pub async fn park(db: &Db, consumer: &str, event: &Event, attempts: u32, error: &str) -> Result<(), StoreError> {
    let text = serde_json::to_string(event).map_err(|e| StoreError::Other(sqlx::Error::Encode(e.into())))?;
    sqlx::query(
        "INSERT INTO riffle_dead_letters (consumer, event_id, topic, event, attempts, last_error, parked_at_ms, \
         replay_requested) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) \
         ON CONFLICT (consumer, event_id) DO UPDATE SET attempts = $5, last_error = $6, parked_at_ms = $7, \
         replay_requested = 0",
    )
    .bind(consumer)
    .bind(event.id.to_string())
    .bind(&event.topic)
    .bind(text)
    .bind(i64::from(attempts))
    .bind(error.chars().take(4000).collect::<String>())
    .bind(now_ms())
    .execute(db.writer())
    .await
    .map_err(StoreError::from_sqlx)?;
    Ok(())
}

fn letter(row: &sqlx::any::AnyRow) -> Result<DeadLetter, StoreError> {
    let decode = |e: serde_json::Error| StoreError::Other(sqlx::Error::Decode(e.into()));
    let get = |e| StoreError::from_sqlx(e);
    Ok(DeadLetter {
        consumer: row.try_get("consumer").map_err(get)?,
        event: serde_json::from_str(&row.try_get::<String, _>("event").map_err(get)?).map_err(decode)?,
        attempts: row.try_get::<i64, _>("attempts").map_err(get)? as u32,
        last_error: row.try_get("last_error").map_err(get)?,
        parked_at_ms: row.try_get("parked_at_ms").map_err(get)?,
        replay_requested: row.try_get::<i64, _>("replay_requested").map_err(get)? != 0,
    })
}

const COLUMNS: &str = "consumer, event, attempts, last_error, parked_at_ms, replay_requested";

/// Every dead letter in `db`, oldest first.
pub async fn list(db: &Db) -> Result<Vec<DeadLetter>, StoreError> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM riffle_dead_letters ORDER BY parked_at_ms, event_id"))
        .fetch_all(db.reader())
        .await
        .map_err(StoreError::from_sqlx)?;
    rows.iter().map(letter).collect()
}

/// Asks for a replay of the dead letters in `db`: all of them, or one event's. Returns how many.
pub async fn request_replay(db: &Db, event: Option<Uuid>) -> Result<u64, StoreError> {
    let result = match event {
        Some(id) => {
            sqlx::query("UPDATE riffle_dead_letters SET replay_requested = 1 WHERE event_id = $1")
                .bind(id.to_string())
                .execute(db.writer())
                .await
        }
        None => sqlx::query("UPDATE riffle_dead_letters SET replay_requested = 1").execute(db.writer()).await,
    };
    Ok(result.map_err(StoreError::from_sqlx)?.rows_affected())
}

/// Applies the dead letters of `subscription` whose replay was asked for: each once more. One
/// that succeeds is removed; one that fails again stays, with its new error. Returns how many
/// were applied.
pub async fn replay_requested(subscription: &Subscription) -> Result<usize, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM riffle_dead_letters WHERE consumer = $1 AND replay_requested = 1 \
         ORDER BY parked_at_ms LIMIT 100"
    ))
    .bind(&subscription.consumer)
    .fetch_all(subscription.db.reader())
    .await
    .map_err(StoreError::from_sqlx)?;
    let mut applied = 0;
    for row in &rows {
        let letter = letter(row)?;
        match letter.event.in_trace(&subscription.consumer, subscription.handler.handle(&letter.event)).await {
            Ok(()) => {
                sqlx::query("DELETE FROM riffle_dead_letters WHERE consumer = $1 AND event_id = $2")
                    .bind(&subscription.consumer)
                    .bind(letter.event.id.to_string())
                    .execute(subscription.db.writer())
                    .await
                    .map_err(StoreError::from_sqlx)?;
                tracing::info!(consumer = %subscription.consumer, event = %letter.event.id, "dead letter replayed");
                applied += 1;
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(consumer = %subscription.consumer, event = %letter.event.id, error, "dead letter failed again");
                park(&subscription.db, &subscription.consumer, &letter.event, letter.attempts + 1, &error).await?;
            }
        }
    }
    Ok(applied)
}
