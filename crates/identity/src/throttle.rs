//! Brute-force protection for sign-in: failures are counted per account name and per client
//! address in a sliding window; past a threshold the key is locked for a while and every
//! attempt, right or wrong, gets 429 with `Retry-After`.
//!
//! The account key is the login *as typed*, whether or not such an account exists, so a locked
//! name looks the same for real and made-up accounts (no user enumeration). Counters live in
//! identity's database so that every identity replica enforces the same limits.

use platform::{Db, StoreError, db::now_ms};
use sqlx::Row;

/// Failures allowed per account name within the window before it is locked.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed per client address within the window (many accounts from one address).
pub const ADDRESS_LIMIT: i64 = 20;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

pub fn account_key(login: &str) -> String {
    format!("account:{}", login.trim().to_lowercase())
}

pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// Milliseconds until the first of `keys` that is locked is free again, if any is.
pub async fn locked_for(db: &Db, keys: &[String]) -> Result<Option<i64>, StoreError> {
    let now = now_ms();
    let mut longest = None;
    for key in keys {
        let row = sqlx::query("SELECT locked_until_ms FROM sign_in_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(db.reader())
            .await
            .map_err(StoreError::from_sqlx)?;
        if let Some(row) = row {
            let until: i64 = row.try_get("locked_until_ms").map_err(StoreError::from_sqlx)?;
            if until > now {
                longest = longest.max(Some(until - now));
            }
        }
    }
    Ok(longest)
}

/// Counts a failure for each key with its limit; returns whether any key became locked.
pub async fn record_failure(db: &Db, keys: &[(String, i64)]) -> Result<bool, StoreError> {
    let now = now_ms();
    let mut locked = false;
    let mut tx = db.begin().await?;
    for (key, limit) in keys {
        let row = sqlx::query("SELECT failures, window_started_ms FROM sign_in_failures WHERE key = $1")
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        let (failures, started) = match row {
            Some(row) => {
                let failures: i64 = row.try_get("failures").map_err(StoreError::from_sqlx)?;
                let started: i64 = row.try_get("window_started_ms").map_err(StoreError::from_sqlx)?;
                if now - started > WINDOW_MS { (1, now) } else { (failures + 1, started) }
            }
            None => (1, now),
        };
        let locked_until = if failures >= *limit { now + LOCKOUT_MS } else { 0 };
        locked |= locked_until > 0;
        // After a lockout the count starts again, so the next lock needs a full new set of failures.
        let (failures, started) = if locked_until > 0 { (0, now) } else { (failures, started) };
        sqlx::query(
            "INSERT INTO sign_in_failures (key, failures, window_started_ms, locked_until_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = $2, window_started_ms = $3, \
             locked_until_ms = CASE WHEN $4 > 0 THEN $4 ELSE sign_in_failures.locked_until_ms END",
        )
        .bind(key)
        .bind(failures)
        .bind(started)
        .bind(locked_until)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_sqlx)?;
    }
    tx.commit().await.map_err(StoreError::from_sqlx)?;
    Ok(locked)
}

/// A successful sign-in clears the account's counter (not the address's: one right password
/// must not reset a spray of wrong ones).
pub async fn clear(db: &Db, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sign_in_failures WHERE key = $1")
        .bind(key)
        .execute(db.writer())
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}
