//! `blob_claims`: blobs are shared by every media with the same bytes, so a collection that
//! finds no media using a blob must not delete it while an upload of the same bytes, which found
//! the blob present and so did not write it, is about to record its media. A writer *holds* the
//! hash from before it looks for the blob until well after it recorded its media; a collection
//! deletes only a hash it could *claim*, which it cannot while a hold lasts, and a writer waits
//! while a deletion is under way. Both are one upsert on the hash's row.

use std::time::Duration;

use platform::{Db, db::now_ms};

use crate::domain::ContentError;

/// How long a hold protects a blob if its writer never gives it back: far longer than storing
/// bytes and recording media takes.
const HOLD_MS: i64 = 3_600_000;
/// How long a deletion claim lasts if its collection dies before giving it back.
const DELETING_MS: i64 = 600_000;

/// Holds `sha256` for a writer, which gives it back with [`unhold`]; waits while a collection
/// is deleting it.
pub async fn hold(db: &Db, sha256: &str) -> Result<(), ContentError> {
    loop {
        let now = now_ms();
        let held = sqlx::query(
            "INSERT INTO blob_claims (sha256, state, holders, until_ms) VALUES ($1, 'held', 1, $2) \
             ON CONFLICT (sha256) DO UPDATE SET state = 'held', until_ms = $2, \
               holders = CASE WHEN blob_claims.state = 'held' AND blob_claims.until_ms >= $3 \
                 THEN blob_claims.holders + 1 ELSE 1 END \
             WHERE blob_claims.state = 'held' OR blob_claims.until_ms < $3",
        )
        .bind(sha256)
        .bind(now + HOLD_MS)
        .bind(now)
        .execute(db.writer())
        .await?;
        if held.rows_affected() > 0 {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A writer's hold given back, once its media is recorded (or it gave up).
pub async fn unhold(db: &Db, sha256: &str) -> Result<(), ContentError> {
    let mut tx = db.writer().begin().await?;
    sqlx::query("UPDATE blob_claims SET holders = holders - 1 WHERE sha256 = $1 AND state = 'held'")
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM blob_claims WHERE sha256 = $1 AND state = 'held' AND holders <= 0")
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Claims `sha256` for deletion: `true` when no writer holds it and the caller may delete it,
/// after which it calls [`release`].
pub async fn claim_for_deletion(db: &Db, sha256: &str) -> Result<bool, ContentError> {
    let now = now_ms();
    let claimed = sqlx::query(
        "INSERT INTO blob_claims (sha256, state, holders, until_ms) VALUES ($1, 'deleting', 0, $2) \
         ON CONFLICT (sha256) DO UPDATE SET state = 'deleting', holders = 0, until_ms = $2 \
         WHERE blob_claims.until_ms < $3",
    )
    .bind(sha256)
    .bind(now + DELETING_MS)
    .bind(now)
    .execute(db.writer())
    .await?;
    Ok(claimed.rows_affected() > 0)
}

/// Gives a deletion claim back.
pub async fn release(db: &Db, sha256: &str) -> Result<(), ContentError> {
    sqlx::query("DELETE FROM blob_claims WHERE sha256 = $1 AND state = 'deleting'")
        .bind(sha256)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Forgets claims that ended.
pub async fn expire(db: &Db) -> Result<u64, ContentError> {
    let done = sqlx::query("DELETE FROM blob_claims WHERE until_ms < $1").bind(now_ms()).execute(db.writer()).await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let location = platform::config::DatabaseLocation::Sqlite(dir.path().join("content.db"));
        let db = Db::connect("content", &location, 2).await.unwrap();
        platform::events::outbox::install(&db).await.unwrap();
        db.migrate(&crate::MIGRATIONS).await.unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_held_blob_cannot_be_claimed_and_a_claimed_one_makes_writers_wait() {
        let (_dir, db) = db().await;
        hold(&db, "aa").await.unwrap();
        assert!(!claim_for_deletion(&db, "aa").await.unwrap(), "a writer holds it");
        hold(&db, "aa").await.unwrap();
        unhold(&db, "aa").await.unwrap();
        assert!(!claim_for_deletion(&db, "aa").await.unwrap(), "the second writer still holds it");
        unhold(&db, "aa").await.unwrap();
        assert!(claim_for_deletion(&db, "aa").await.unwrap(), "nobody holds it");
        release(&db, "aa").await.unwrap();

        assert!(claim_for_deletion(&db, "bb").await.unwrap());
        assert!(!claim_for_deletion(&db, "bb").await.unwrap(), "one deletion at a time");
        let writer = tokio::spawn({
            let db = db.clone();
            async move { hold(&db, "bb").await }
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!writer.is_finished(), "the writer waits for the deletion");
        release(&db, "bb").await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), writer).await.unwrap().unwrap().unwrap();
        assert!(!claim_for_deletion(&db, "bb").await.unwrap(), "now the writer holds it");
    }

    #[tokio::test]
    async fn an_ended_claim_protects_nothing() {
        let (_dir, db) = db().await;
        sqlx::query(
            "INSERT INTO blob_claims (sha256, state, holders, until_ms) VALUES ('cc', 'held', 1, 1), \
             ('dd', 'deleting', 0, 1)",
        )
        .execute(db.writer())
        .await
        .unwrap();
        assert!(claim_for_deletion(&db, "cc").await.unwrap(), "an ended hold");
        hold(&db, "dd").await.unwrap();
        assert_eq!(expire(&db).await.unwrap(), 0, "both are live again");
    }
}
