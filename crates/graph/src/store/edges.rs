//! `follows`, `blocks`, `mutes`: every change idempotent (following twice is one follow) and
//! only a real change emits an event.

use platform::{
    Change,
    db::{Backend, now_ms},
};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::{Edge, GraphError};

/// Table, and its two columns.
fn table(edge: Edge) -> (&'static str, &'static str, &'static str) {
    match edge {
        Edge::Follow => ("follows", "follower_id", "followee_id"),
        Edge::Block => ("blocks", "blocker_id", "blocked_id"),
        Edge::Mute => ("mutes", "muter_id", "muted_id"),
    }
}

async fn has_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    edge: Edge,
    from: Uuid,
    to: Uuid,
) -> Result<bool, GraphError> {
    let (table, a, b) = table(edge);
    let row = sqlx::query(&format!("SELECT 1 FROM {table} WHERE {a} = $1 AND {b} = $2"))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_optional(executor)
        .await?;
    Ok(row.is_some())
}

/// Whether the edge `from → to` exists.
pub async fn has(store: &Store, edge: Edge, from: Uuid, to: Uuid) -> Result<bool, GraphError> {
    has_in(store.db().reader(), edge, from, to).await
}

/// Adds or removes one edge inside `change`, with its event when it changed.
async fn set_in(change: &mut Change, edge: Edge, from: Uuid, to: Uuid, present: bool) -> Result<bool, GraphError> {
    let (table, a, b) = table(edge);
    let sql = if present {
        format!("INSERT INTO {table} ({a}, {b}, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
    } else {
        format!("DELETE FROM {table} WHERE {a} = $1 AND {b} = $2")
    };
    let mut query = sqlx::query(&sql).bind(from.to_string()).bind(to.to_string());
    if present {
        query = query.bind(now_ms());
    }
    let changed = query.execute(change.conn()).await?.rows_affected() == 1;
    if changed {
        change.emit(&edge.event(from, to, present)).await?;
    }
    Ok(changed)
}

/// Makes changes to the edges between `a` and `b` (either way round) wait for each other, so that
/// a follow racing a block can never leave a follow behind the block. SQLite has one writer, so
/// its changes are serialized already; PostgreSQL takes a transaction-scoped advisory lock on the
/// pair (an XOR of the two ids, the same for both orders; a collision only serializes two pairs).
async fn serialize_pair(store: &Store, change: &mut Change, a: Uuid, b: Uuid) -> Result<(), GraphError> {
    if store.db().backend() == Backend::Postgres {
        let pair = a.as_u128() ^ b.as_u128();
        let key = ((pair >> 64) as u64 ^ pair as u64) as i64;
        sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(key).execute(change.conn()).await?;
    }
    Ok(())
}

/// Follows or unfollows `to`. A follow is refused when either side blocks the other.
pub async fn follow(store: &Store, from: Uuid, to: Uuid, follow: bool) -> Result<(), GraphError> {
    let mut change = store.begin().await?;
    follow_in(store, &mut change, from, to, follow).await?;
    Ok(change.commit().await?)
}

/// [`follow`] inside `change` (a subscription made through the crawler's API).
pub async fn follow_in(
    store: &Store,
    change: &mut Change,
    from: Uuid,
    to: Uuid,
    follow: bool,
) -> Result<(), GraphError> {
    serialize_pair(store, change, from, to).await?;
    if follow {
        if has_in(change.conn(), Edge::Block, to, from).await? {
            return Err(GraphError::BlockedByThem);
        }
        if has_in(change.conn(), Edge::Block, from, to).await? {
            return Err(GraphError::BlockedByYou);
        }
    }
    set_in(change, Edge::Follow, from, to, follow).await?;
    Ok(())
}

/// Blocks or unblocks `to`. A block also removes the follows in both directions.
pub async fn block(store: &Store, from: Uuid, to: Uuid, block: bool) -> Result<(), GraphError> {
    let mut change = store.begin().await?;
    serialize_pair(store, &mut change, from, to).await?;
    if set_in(&mut change, Edge::Block, from, to, block).await? && block {
        set_in(&mut change, Edge::Follow, from, to, false).await?;
        set_in(&mut change, Edge::Follow, to, from, false).await?;
    }
    Ok(change.commit().await?)
}

/// Mutes or unmutes `to`: their posts leave your feeds, nothing else changes.
pub async fn mute(store: &Store, from: Uuid, to: Uuid, mute: bool) -> Result<(), GraphError> {
    let mut change = store.begin().await?;
    set_in(&mut change, Edge::Mute, from, to, mute).await?;
    Ok(change.commit().await?)
}

/// Removes every edge of a deleted user inside `change`, with an event for each.
pub async fn forget_user(change: &mut Change, user: Uuid) -> Result<(), GraphError> {
    for edge in Edge::ALL {
        let (table, a, b) = table(edge);
        let rows = sqlx::query(&format!("SELECT {a} AS a, {b} AS b FROM {table} WHERE {a} = $1 OR {b} = $1"))
            .bind(user.to_string())
            .fetch_all(change.conn())
            .await?;
        for row in rows {
            let parse = |c: &str| -> Result<Uuid, GraphError> {
                let text: String = row.try_get(c)?;
                text.parse().map_err(|e| platform::StoreError::decode(c, e).into())
            };
            set_in(change, edge, parse("a")?, parse("b")?, false).await?;
        }
    }
    super::tags::forget_user(change, user).await
}
