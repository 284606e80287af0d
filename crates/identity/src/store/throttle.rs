//! `sign_in_failures`: the sign-in throttle's counters, shared by every identity replica.

use platform::db::now_ms;
use sqlx::Row;

use crate::domain::{IdentityError, throttle::Counter};

async fn counter<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    key: &str,
) -> Result<Option<Counter>, IdentityError> {
    let row = sqlx::query("SELECT failures, window_started_ms, locked_until_ms FROM sign_in_failures WHERE key = $1")
        .bind(key)
        .fetch_optional(executor)
        .await?;
    row.map(|row| {
        Ok(Counter {
            failures: row.try_get("failures")?,
            window_started_ms: row.try_get("window_started_ms")?,
            locked_until_ms: row.try_get("locked_until_ms")?,
        })
    })
    .transpose()
}

/// Milliseconds until the first of `keys` that is locked is free again, if any is.
pub async fn locked_for(store: &super::Store, keys: &[String]) -> Result<Option<i64>, IdentityError> {
    let now = now_ms();
    let mut longest = None;
    for key in keys {
        if let Some(wait) = counter(store.db().reader(), key).await?.and_then(|c| c.locked_for(now)) {
            longest = longest.max(Some(wait));
        }
    }
    Ok(longest)
}

/// Counts a failure for each key with its limit; returns whether any key became locked.
pub async fn record_failure(store: &super::Store, keys: &[(String, i64)]) -> Result<bool, IdentityError> {
    let now = now_ms();
    let mut locked = false;
    let mut change = store.begin().await?;
    for (key, limit) in keys {
        let previous = counter(change.conn(), key).await?;
        let next = Counter::after_failure(previous, now, *limit);
        locked |= next.locked_until_ms > previous.map_or(0, |p| p.locked_until_ms);
        sqlx::query(
            "INSERT INTO sign_in_failures (key, failures, window_started_ms, locked_until_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, window_started_ms = $3, locked_until_ms = $4",
        )
        .bind(key)
        .bind(next.failures)
        .bind(next.window_started_ms)
        .bind(next.locked_until_ms)
        .execute(change.conn())
        .await?;
    }
    change.commit().await?;
    Ok(locked)
}

/// Forgets a key's failures.
pub async fn clear(store: &super::Store, key: &str) -> Result<(), IdentityError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE key = $1").bind(key).execute(store.db().writer()).await?;
    Ok(())
}
