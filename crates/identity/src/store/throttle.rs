//! `sign_in_attempts`: the password throttle's counters, shared by every identity replica. An
//! attempt is counted and judged in one transaction; the counting upsert locks the key's row, so
//! parallel attempts on one key are counted one after the other and none slips past the limit.

use platform::db::now_ms;
use sqlx::Row;

use crate::domain::{
    IdentityError,
    throttle::{self, Counted, Counter, Keys, Verdict},
};

/// Counts one attempt in `key`'s window of `window_ms` (starting a new window when it passed).
async fn count(change: &mut platform::Change, key: &str, window_ms: i64, now: i64) -> Result<Counter, IdentityError> {
    let row = sqlx::query(
        "INSERT INTO sign_in_attempts (key, attempts, window_started_ms, next_allowed_ms) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (key) DO UPDATE SET \
           attempts = CASE WHEN sign_in_attempts.window_started_ms <= $3 THEN 1 ELSE sign_in_attempts.attempts + 1 END, \
           window_started_ms = CASE WHEN sign_in_attempts.window_started_ms <= $3 THEN $2 \
             ELSE sign_in_attempts.window_started_ms END \
         RETURNING attempts, window_started_ms, next_allowed_ms",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_ms)
    .fetch_one(change.conn())
    .await?;
    Ok(Counter {
        attempts: row.try_get("attempts")?,
        window_started_ms: row.try_get("window_started_ms")?,
        next_allowed_ms: row.try_get("next_allowed_ms")?,
    })
}

/// Counts an attempt before its password is verified and returns the counters with it. Refused
/// attempts are not counted and get [`IdentityError::Locked`] with the wait.
pub async fn reserve(store: &super::Store, keys: &Keys, known_address: bool) -> Result<Counted, IdentityError> {
    let now = now_ms();
    let mut change = store.begin().await?;
    let [(pair, pair_window), (address, address_window), (account, account_window)] = keys.windows();
    let counted = Counted {
        pair: count(&mut change, pair, pair_window, now).await?,
        address: count(&mut change, address, address_window, now).await?,
        account: count(&mut change, account, account_window, now).await?,
    };
    match throttle::judge(&counted, known_address, now) {
        Verdict::Refused { wait_ms } => {
            change.rollback().await?;
            Err(IdentityError::Locked { wait_ms })
        }
        Verdict::Allowed { next_allowed_ms } => {
            if let Some(at) = next_allowed_ms {
                sqlx::query("UPDATE sign_in_attempts SET next_allowed_ms = $1 WHERE key = $2")
                    .bind(at)
                    .bind(account)
                    .execute(change.conn())
                    .await?;
            }
            change.commit().await?;
            Ok(counted)
        }
    }
}

/// Counts a registration from `network` (as the throttle counts addresses); past `limit` in an
/// hour it is refused with the wait, and not counted.
pub async fn count_registration(store: &super::Store, network: &str, limit: u32) -> Result<(), IdentityError> {
    const HOUR_MS: i64 = 3_600_000;
    let now = now_ms();
    let mut change = store.begin().await?;
    let counter = count(&mut change, &format!("register:{network}"), HOUR_MS, now).await?;
    if counter.attempts > i64::from(limit) {
        change.rollback().await?;
        return Err(IdentityError::Locked { wait_ms: (counter.window_started_ms + HOUR_MS - now).max(1) });
    }
    Ok(change.commit().await?)
}

/// A right password: the account and this pair start afresh, and the address gets its attempt
/// back (many people may sign in from one address).
pub async fn succeeded(store: &super::Store, keys: &Keys) -> Result<(), IdentityError> {
    let mut change = store.begin().await?;
    sqlx::query("DELETE FROM sign_in_attempts WHERE key IN ($1, $2)")
        .bind(&keys.pair)
        .bind(&keys.account)
        .execute(change.conn())
        .await?;
    sqlx::query("UPDATE sign_in_attempts SET attempts = attempts - 1 WHERE key = $1 AND attempts > 0")
        .bind(&keys.address)
        .execute(change.conn())
        .await?;
    Ok(change.commit().await?)
}

/// Forgets counters whose windows ended long enough ago; returns how many.
pub async fn expire(store: &super::Store) -> Result<u64, IdentityError> {
    let now = now_ms();
    let done = sqlx::query("DELETE FROM sign_in_attempts WHERE window_started_ms < $1 AND next_allowed_ms < $2")
        .bind(now - throttle::KEEP_MS)
        .bind(now)
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected())
}
