//! Every change to the graph: one transaction with its event, idempotent (following twice is
//! one follow, and only a real change emits an event).

use platform::{ApiError, StoreError, db::now_ms, events::outbox};
use sqlx::{Any, Row, Transaction};
use uuid::Uuid;

use crate::Graph;

/// A kind of edge between two users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Follow,
    Block,
    Mute,
}

impl Edge {
    /// Table, its two columns, and the event noun.
    fn table(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Edge::Follow => ("follows", "follower_id", "followee_id", "follow"),
            Edge::Block => ("blocks", "blocker_id", "blocked_id", "block"),
            Edge::Mute => ("mutes", "muter_id", "muted_id", "mute"),
        }
    }
}

/// Whether `user` exists and is active, as identity last told us.
pub async fn user_exists(graph: &Graph, user: Uuid) -> Result<bool, StoreError> {
    let row = sqlx::query("SELECT 1 FROM known_users WHERE id = $1 AND active = TRUE")
        .bind(user.to_string())
        .fetch_optional(graph.db.reader())
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(row.is_some())
}

pub async fn has<'e, E: sqlx::Executor<'e, Database = Any>>(
    executor: E,
    edge: Edge,
    from: Uuid,
    to: Uuid,
) -> Result<bool, StoreError> {
    let (table, a, b, _) = edge.table();
    let row = sqlx::query(&format!("SELECT 1 FROM {table} WHERE {a} = $1 AND {b} = $2"))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_optional(executor)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(row.is_some())
}

/// Adds or removes one edge inside `tx`; emits `graph.<edge>.created|deleted` when it changed.
pub async fn set_in(
    tx: &mut Transaction<'static, Any>,
    edge: Edge,
    from: Uuid,
    to: Uuid,
    present: bool,
) -> Result<bool, StoreError> {
    let (table, a, b, noun) = edge.table();
    let changed = if present {
        sqlx::query(&format!(
            "INSERT INTO {table} ({a}, {b}, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        ))
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(now_ms())
        .execute(&mut **tx)
        .await
    } else {
        sqlx::query(&format!("DELETE FROM {table} WHERE {a} = $1 AND {b} = $2"))
            .bind(from.to_string())
            .bind(to.to_string())
            .execute(&mut **tx)
            .await
    }
    .map_err(StoreError::from_sqlx)?
    .rows_affected()
        == 1;
    if changed {
        let verb = if present { "created" } else { "deleted" };
        let payload = serde_json::json!({ a: from, b: to });
        outbox::enqueue(tx, &format!("graph.{noun}.{verb}"), &payload).await?;
    }
    Ok(changed)
}

/// Follows or unfollows `to`. Refused when either side blocks the other.
pub async fn follow(graph: &Graph, from: Uuid, to: Uuid, follow: bool) -> Result<(), ApiError> {
    if from == to {
        return Err(ApiError::invalid_field("id", "you cannot follow yourself"));
    }
    let mut tx = graph.db.begin().await?;
    if follow {
        if has(&mut *tx, Edge::Block, to, from).await? {
            return Err(ApiError::forbidden("this account blocks you"));
        }
        if has(&mut *tx, Edge::Block, from, to).await? {
            return Err(ApiError::forbidden("unblock this account before following it"));
        }
    }
    set_in(&mut tx, Edge::Follow, from, to, follow).await?;
    tx.commit().await?;
    graph.relay.wake();
    Ok(())
}

/// Blocks or unblocks `to`. A block also removes the follows in both directions.
pub async fn block(graph: &Graph, from: Uuid, to: Uuid, block: bool) -> Result<(), ApiError> {
    if from == to {
        return Err(ApiError::invalid_field("id", "you cannot block yourself"));
    }
    let mut tx = graph.db.begin().await?;
    if set_in(&mut tx, Edge::Block, from, to, block).await? && block {
        set_in(&mut tx, Edge::Follow, from, to, false).await?;
        set_in(&mut tx, Edge::Follow, to, from, false).await?;
    }
    tx.commit().await?;
    graph.relay.wake();
    Ok(())
}

/// Mutes or unmutes `to`: their posts leave your feeds, nothing else changes.
pub async fn mute(graph: &Graph, from: Uuid, to: Uuid, mute: bool) -> Result<(), ApiError> {
    if from == to {
        return Err(ApiError::invalid_field("id", "you cannot mute yourself"));
    }
    let mut tx = graph.db.begin().await?;
    set_in(&mut tx, Edge::Mute, from, to, mute).await?;
    tx.commit().await?;
    graph.relay.wake();
    Ok(())
}

/// Follows or unfollows a hashtag (already normalized).
pub async fn follow_tag(graph: &Graph, user: Uuid, tag: &str, follow: bool) -> Result<(), ApiError> {
    let mut tx = graph.db.begin().await?;
    let changed = if follow {
        sqlx::query("INSERT INTO tag_follows (user_id, tag, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(user.to_string())
            .bind(tag)
            .bind(now_ms())
            .execute(&mut *tx)
            .await?
    } else {
        sqlx::query("DELETE FROM tag_follows WHERE user_id = $1 AND tag = $2")
            .bind(user.to_string())
            .bind(tag)
            .execute(&mut *tx)
            .await?
    }
    .rows_affected()
        == 1;
    if changed {
        let topic = if follow { "graph.tag_follow.created" } else { "graph.tag_follow.deleted" };
        outbox::enqueue(&mut tx, topic, &serde_json::json!({ "user_id": user, "tag": tag })).await?;
    }
    tx.commit().await?;
    graph.relay.wake();
    Ok(())
}

/// Removes every edge of a deleted user, with an event for each.
pub async fn forget_user(tx: &mut Transaction<'static, Any>, user: Uuid) -> Result<(), StoreError> {
    for edge in [Edge::Follow, Edge::Block, Edge::Mute] {
        let (table, a, b, _) = edge.table();
        let rows = sqlx::query(&format!("SELECT {a} AS a, {b} AS b FROM {table} WHERE {a} = $1 OR {b} = $1"))
            .bind(user.to_string())
            .fetch_all(&mut **tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        for row in rows {
            let parse = |c: &str| -> Result<Uuid, StoreError> {
                let text: String = row.try_get(c).map_err(StoreError::from_sqlx)?;
                text.parse().map_err(|e: uuid::Error| StoreError::Other(sqlx::Error::Decode(e.into())))
            };
            set_in(tx, edge, parse("a")?, parse("b")?, false).await?;
        }
    }
    sqlx::query("DELETE FROM tag_follows WHERE user_id = $1")
        .bind(user.to_string())
        .execute(&mut **tx)
        .await
        .map_err(StoreError::from_sqlx)?;
    Ok(())
}
