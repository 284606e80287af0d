//! `id_nodes`: leases on the node numbers of post ids, so that every process creating posts at
//! the same time has its own (see `contracts::ids`). A process takes the lowest free number at
//! start and renews its lease; a number whose lease ran out (its process died) is free again.

use platform::db::now_ms;

use super::Store;
use crate::domain::ContentError;

/// How long a lease lasts without renewal.
pub const LEASE_MS: i64 = 120_000;
/// How often a process renews its lease.
pub const RENEW_EVERY_MS: u64 = 30_000;

/// Leases the lowest free node number for `holder`.
pub async fn lease(store: &Store, holder: &str) -> Result<u8, ContentError> {
    for node in 0..i64::from(contracts::ids::NODES) {
        let now = now_ms();
        let taken = sqlx::query(
            "INSERT INTO id_nodes (node, holder, expires_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (node) DO UPDATE SET holder = $2, expires_at_ms = $3 \
             WHERE id_nodes.expires_at_ms < $4 OR id_nodes.holder = $2",
        )
        .bind(node)
        .bind(holder)
        .bind(now + LEASE_MS)
        .bind(now)
        .execute(store.db().writer())
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(node as u8);
        }
    }
    Err(anyhow::anyhow!(
        "all {} post id node numbers are leased: more processes run content than post ids allow",
        contracts::ids::NODES
    )
    .into())
}

/// Renews `holder`'s lease of `node`; `false` when another process holds it now (this one was
/// gone longer than a lease).
pub async fn renew(store: &Store, node: u8, holder: &str) -> Result<bool, ContentError> {
    let renewed = sqlx::query("UPDATE id_nodes SET expires_at_ms = $1 WHERE node = $2 AND holder = $3")
        .bind(now_ms() + LEASE_MS)
        .bind(i64::from(node))
        .bind(holder)
        .execute(store.db().writer())
        .await?
        .rows_affected();
    Ok(renewed == 1)
}

/// Gives the lease up (on shutdown), so a restart takes the same number at once.
pub async fn release(store: &Store, node: u8, holder: &str) -> Result<(), ContentError> {
    sqlx::query("DELETE FROM id_nodes WHERE node = $1 AND holder = $2")
        .bind(i64::from(node))
        .bind(holder)
        .execute(store.db().writer())
        .await?;
    Ok(())
}
