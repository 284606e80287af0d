//! Search's own tables: who is who (usernames, active or not), who follows and who blocks
//! whom, kept from identity's and graph's events inside each consumer's change; and the
//! audience of a viewer read from them.

use platform::{Change, Writer};
use sqlx::Row;
use uuid::Uuid;

use crate::index::Audience;

pub async fn user_in(change: &mut Change, id: Uuid, username: &str) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO known_users (id, username_key, active) VALUES ($1, $2, TRUE) \
         ON CONFLICT (id) DO UPDATE SET username_key = $2",
    )
    .bind(id.to_string())
    .bind(username.to_ascii_lowercase())
    .execute(change.conn())
    .await?;
    Ok(())
}

/// A suspended or deleted account's posts are not found; restored, they are again.
pub async fn active_in(change: &mut Change, id: Uuid, active: bool) -> anyhow::Result<()> {
    sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(id.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// The edges search keeps.
#[derive(Debug, Clone, Copy)]
pub enum Edge {
    Follow,
    Block,
}

/// Adds (`present`) or removes an edge from `from` to `to`.
pub async fn edge_in(change: &mut Change, edge: Edge, from: Uuid, to: Uuid, present: bool) -> anyhow::Result<()> {
    let (table, a, b) = match edge {
        Edge::Follow => ("follows", "follower_id", "followee_id"),
        Edge::Block => ("blocks", "blocker_id", "blocked_id"),
    };
    let sql = if present {
        format!("INSERT INTO {table} ({a}, {b}) VALUES ($1, $2) ON CONFLICT DO NOTHING")
    } else {
        format!("DELETE FROM {table} WHERE {a} = $1 AND {b} = $2")
    };
    sqlx::query(&sql).bind(from.to_string()).bind(to.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// The accounts of `usernames` (unknown names are left out).
pub async fn ids_of(writer: &Writer, usernames: &[String]) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for name in usernames {
        let row = sqlx::query("SELECT id FROM known_users WHERE username_key = $1")
            .bind(name.to_ascii_lowercase())
            .fetch_optional(writer.db().reader())
            .await?;
        ids.extend(row.map(|r| r.try_get::<String, _>("id")).transpose()?);
    }
    Ok(ids)
}

/// Whose posts `viewer` may not see (blocked either way, inactive), and whose followers-only
/// posts they may (the people they follow, and themselves).
pub async fn audience(writer: &Writer, viewer: Option<Uuid>) -> anyhow::Result<Audience> {
    let reader = writer.db().reader();
    let column = |row: &sqlx::any::AnyRow| row.try_get::<String, _>("id");
    let mut hidden: Vec<String> = sqlx::query("SELECT id FROM known_users WHERE active = FALSE")
        .fetch_all(reader)
        .await?
        .iter()
        .map(column)
        .collect::<Result<_, _>>()?;
    let Some(viewer) = viewer else { return Ok(Audience { hidden_authors: hidden, followed_authors: Vec::new() }) };
    let me = viewer.to_string();
    let blocked = sqlx::query(
        "SELECT blocked_id AS id FROM blocks WHERE blocker_id = $1 UNION SELECT blocker_id AS id FROM blocks WHERE blocked_id = $1",
    )
    .bind(&me)
    .fetch_all(reader)
    .await?;
    for row in &blocked {
        hidden.push(column(row)?);
    }
    let mut followed: Vec<String> = sqlx::query("SELECT followee_id AS id FROM follows WHERE follower_id = $1")
        .bind(&me)
        .fetch_all(reader)
        .await?
        .iter()
        .map(column)
        .collect::<Result<_, _>>()?;
    followed.push(me);
    Ok(Audience { hidden_authors: hidden, followed_authors: followed })
}
