//! Search's own tables: who is who (usernames, names and bios, active or not, followers),
//! who follows and who blocks whom, kept from identity's and graph's events inside each
//! consumer's change; the audience of a viewer read from them, and the people index's
//! documents.

use platform::{Change, Writer};
use sqlx::{Row, any::AnyRow};
use uuid::Uuid;

use crate::index::{Audience, PersonDoc};

/// What the people index must now hold of someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonChange {
    Upsert(PersonDoc),
    Remove(String),
    Nothing,
}

/// `active` as 0 or 1: SQLite keeps booleans as integers, which the `Any` driver does not read
/// as `bool`.
const PERSON_SELECT: &str = "SELECT id, username_key, display_name, bio, followers, \
     CASE WHEN active THEN 1 ELSE 0 END AS active_flag FROM known_users";

fn person(row: &AnyRow) -> anyhow::Result<PersonDoc> {
    Ok(PersonDoc {
        id: row.try_get("id")?,
        username: row.try_get("username_key")?,
        display_name: row.try_get("display_name")?,
        bio: row.try_get("bio")?,
        followers: row.try_get::<i64, _>("followers")?.max(0) as u64,
    })
}

/// The person `id` as the index must show them now: upserted when active, removed when not.
async fn person_now(change: &mut Change, id: Uuid) -> anyhow::Result<PersonChange> {
    let row = sqlx::query(&format!("{PERSON_SELECT} WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(match row {
        Some(row) if row.try_get::<i32, _>("active_flag")? == 1 => PersonChange::Upsert(person(&row)?),
        Some(_) => PersonChange::Remove(id.to_string()),
        None => PersonChange::Nothing,
    })
}

/// An account registered or changed (`bio` is `None` when the event does not carry it).
pub async fn user_in(
    change: &mut Change,
    id: Uuid,
    username: &str,
    display_name: &str,
    bio: Option<&str>,
) -> anyhow::Result<PersonChange> {
    sqlx::query(
        "INSERT INTO known_users (id, username_key, display_name, bio, active) VALUES ($1, $2, $3, $4, TRUE) \
         ON CONFLICT (id) DO UPDATE SET username_key = $2, display_name = $3, \
         bio = CASE WHEN $5 THEN $4 ELSE known_users.bio END",
    )
    .bind(id.to_string())
    .bind(username.to_ascii_lowercase())
    .bind(display_name)
    .bind(bio.unwrap_or_default())
    .bind(bio.is_some())
    .execute(change.conn())
    .await?;
    person_now(change, id).await
}

/// A suspended or deleted account's posts are not found, nor is the account; restored, both
/// are again.
pub async fn active_in(change: &mut Change, id: Uuid, active: bool) -> anyhow::Result<PersonChange> {
    sqlx::query("UPDATE known_users SET active = $1 WHERE id = $2")
        .bind(active)
        .bind(id.to_string())
        .execute(change.conn())
        .await?;
    person_now(change, id).await
}

/// Active people after `after` (by id), for rebuilding the people index.
pub async fn people_page(writer: &Writer, after: &str, limit: u32) -> anyhow::Result<Vec<PersonDoc>> {
    let rows = sqlx::query(&format!("{PERSON_SELECT} WHERE active = TRUE AND id > $1 ORDER BY id LIMIT {limit}"))
        .bind(after)
        .fetch_all(writer.db().reader())
        .await?;
    rows.iter().map(person).collect()
}

/// The edges search keeps.
#[derive(Debug, Clone, Copy)]
pub enum Edge {
    Follow,
    Block,
}

/// Adds (`present`) or removes an edge from `from` to `to`; a follow that changes counts
/// towards `to`'s followers, whose entry in the people index changes with it.
pub async fn edge_in(
    change: &mut Change,
    edge: Edge,
    from: Uuid,
    to: Uuid,
    present: bool,
) -> anyhow::Result<PersonChange> {
    let (table, a, b) = match edge {
        Edge::Follow => ("follows", "follower_id", "followee_id"),
        Edge::Block => ("blocks", "blocker_id", "blocked_id"),
    };
    let sql = if present {
        format!("INSERT INTO {table} ({a}, {b}) VALUES ($1, $2) ON CONFLICT DO NOTHING")
    } else {
        format!("DELETE FROM {table} WHERE {a} = $1 AND {b} = $2")
    };
    let changed = sqlx::query(&sql).bind(from.to_string()).bind(to.to_string()).execute(change.conn()).await?;
    if !matches!(edge, Edge::Follow) || changed.rows_affected() == 0 {
        return Ok(PersonChange::Nothing);
    }
    sqlx::query("UPDATE known_users SET followers = followers + $1 WHERE id = $2")
        .bind(if present { 1i64 } else { -1 })
        .bind(to.to_string())
        .execute(change.conn())
        .await?;
    person_now(change, to).await
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
