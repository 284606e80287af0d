//! Who to follow: accounts followed by the accounts a user follows, ranked by how many of them
//! do, then popular accounts; never the user, nor accounts they follow, block, mute or are
//! blocked by. Computed in the background per user (`jobs`) into `suggestions`, so a request is
//! one indexed read.

use std::collections::{HashMap, HashSet};

use platform::db::{RowExt, now_ms, placeholders};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::GraphError;

/// Suggestions kept per user.
pub const KEPT: usize = 20;
/// A user's suggestions are computed again when asked for this long after the last time.
pub const FRESH_FOR_MS: i64 = 10 * 60 * 1000;
/// Follows of a user the computation looks through (the most recent ones).
const FOLLOWS_SAMPLED: i64 = 200;

/// A suggested account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggested {
    pub id: Uuid,
    pub username: String,
    /// How many of the user's follows follow it (0 for a popular account).
    pub via: i64,
    pub followers: i64,
}

/// Everyone `user` follows, blocks, mutes or is blocked by, and the user: never suggested.
async fn excluded(store: &Store, user: Uuid) -> Result<HashSet<Uuid>, GraphError> {
    let rows = sqlx::query(
        "SELECT followee_id AS id FROM follows WHERE follower_id = $1 \
         UNION SELECT blocked_id FROM blocks WHERE blocker_id = $1 \
         UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1 \
         UNION SELECT muted_id FROM mutes WHERE muter_id = $1",
    )
    .bind(user.to_string())
    .fetch_all(store.db().reader())
    .await?;
    let mut ids: HashSet<Uuid> = rows.iter().map(|r| r.uuid("id")).collect::<Result<_, _>>()?;
    ids.insert(user);
    Ok(ids)
}

/// The stored suggestions of `user`, without accounts excluded since, and whether they are
/// fresh (computed within [`FRESH_FOR_MS`]).
pub async fn stored(store: &Store, user: Uuid) -> Result<(Vec<Suggested>, bool), GraphError> {
    let rows = sqlx::query(
        "SELECT s.suggested_id, u.username, s.via, s.followers FROM suggestions s \
         JOIN known_users u ON u.id = s.suggested_id AND u.active = TRUE \
         WHERE s.user_id = $1 ORDER BY s.position",
    )
    .bind(user.to_string())
    .fetch_all(store.db().reader())
    .await?;
    let excluded = excluded(store, user).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row.uuid("suggested_id")?;
        if !excluded.contains(&id) {
            list.push(Suggested {
                id,
                username: row.try_get("username")?,
                via: row.try_get("via")?,
                followers: row.try_get("followers")?,
            });
        }
    }
    let run = sqlx::query("SELECT computed_at_ms FROM suggestion_runs WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    let computed: Option<i64> = run.map(|r| r.try_get("computed_at_ms")).transpose()?;
    Ok((list, computed.is_some_and(|at| now_ms() - at < FRESH_FOR_MS)))
}

/// Asks for `user`'s suggestions to be computed (again).
pub async fn want(store: &Store, user: Uuid) -> Result<(), GraphError> {
    sqlx::query(
        "INSERT INTO suggestion_runs (user_id, computed_at_ms, wanted_at_ms) VALUES ($1, 0, $2) \
         ON CONFLICT (user_id) DO UPDATE SET wanted_at_ms = $2",
    )
    .bind(user.to_string())
    .bind(now_ms())
    .execute(store.db().writer())
    .await?;
    Ok(())
}

/// Up to `limit` users whose suggestions were asked for since they were last computed.
pub async fn wanted(store: &Store, limit: usize) -> Result<Vec<Uuid>, GraphError> {
    let rows = sqlx::query(
        "SELECT user_id FROM suggestion_runs WHERE wanted_at_ms > computed_at_ms ORDER BY wanted_at_ms LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    Ok(rows.iter().map(|r| r.uuid("user_id")).collect::<Result<_, _>>()?)
}

/// How many follow each of `ids` (among active accounts).
async fn follower_counts(store: &Store, ids: &[Uuid]) -> Result<HashMap<Uuid, (String, i64)>, GraphError> {
    let mut counts = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT u.id, u.username, CAST((SELECT COUNT(*) FROM follows f WHERE f.followee_id = u.id) AS BIGINT) AS n \
             FROM known_users u WHERE u.active = TRUE AND u.id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(store.db().reader()).await? {
            counts.insert(row.uuid("id")?, (row.try_get("username")?, row.try_get("n")?));
        }
    }
    Ok(counts)
}

/// Computes `user`'s suggestions: the accounts their (most recent) follows follow, most shared
/// first, then `popular` to fill up.
pub async fn compute(store: &Store, user: Uuid, popular: &[Suggested]) -> Result<Vec<Suggested>, GraphError> {
    let rows = sqlx::query(
        "SELECT theirs.followee_id AS id, CAST(COUNT(*) AS BIGINT) AS via \
         FROM (SELECT followee_id FROM follows WHERE follower_id = $1 ORDER BY created_at_ms DESC LIMIT $2) mine \
         JOIN follows theirs ON theirs.follower_id = mine.followee_id \
         GROUP BY theirs.followee_id ORDER BY via DESC LIMIT 500",
    )
    .bind(user.to_string())
    .bind(FOLLOWS_SAMPLED)
    .fetch_all(store.db().reader())
    .await?;
    let excluded = excluded(store, user).await?;
    let mut via: Vec<(Uuid, i64)> = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row.uuid("id")?;
        if !excluded.contains(&id) {
            via.push((id, row.try_get("via")?));
        }
    }
    let ids: Vec<Uuid> = via.iter().map(|(id, _)| *id).collect();
    let counts = follower_counts(store, &ids).await?;
    let mut list: Vec<Suggested> = via
        .into_iter()
        .filter_map(|(id, via)| {
            let (username, followers) = counts.get(&id)?.clone();
            Some(Suggested { id, username, via, followers })
        })
        .collect();
    list.sort_by(|a, b| b.via.cmp(&a.via).then(b.followers.cmp(&a.followers)).then(a.id.cmp(&b.id)));
    list.truncate(KEPT);
    for account in popular {
        if list.len() >= KEPT {
            break;
        }
        if !excluded.contains(&account.id) && !list.iter().any(|s| s.id == account.id) {
            list.push(Suggested { via: 0, ..account.clone() });
        }
    }
    Ok(list)
}

/// The popular accounts `user` may be suggested, until theirs are computed.
pub async fn popular_for(store: &Store, user: Uuid, popular: &[Suggested]) -> Result<Vec<Suggested>, GraphError> {
    let excluded = excluded(store, user).await?;
    Ok(popular.iter().filter(|s| !excluded.contains(&s.id)).take(KEPT).cloned().collect())
}

/// Stores `user`'s computed suggestions, replacing the last ones.
pub async fn save(store: &Store, user: Uuid, list: &[Suggested]) -> Result<(), GraphError> {
    let mut change = store.begin().await?;
    sqlx::query("DELETE FROM suggestions WHERE user_id = $1").bind(user.to_string()).execute(change.conn()).await?;
    for (position, s) in list.iter().enumerate() {
        sqlx::query(
            "INSERT INTO suggestions (user_id, position, suggested_id, via, followers) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(user.to_string())
        .bind(position as i32)
        .bind(s.id.to_string())
        .bind(s.via)
        .bind(s.followers)
        .execute(change.conn())
        .await?;
    }
    sqlx::query("UPDATE suggestion_runs SET computed_at_ms = $1 WHERE user_id = $2")
        .bind(now_ms())
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(change.commit().await?)
}

/// The most followed active accounts, up to `limit`.
pub async fn popular(store: &Store, limit: usize) -> Result<Vec<Suggested>, GraphError> {
    let rows = sqlx::query(
        "SELECT f.followee_id AS id, u.username, CAST(COUNT(*) AS BIGINT) AS followers FROM follows f \
         JOIN known_users u ON u.id = f.followee_id AND u.active = TRUE \
         GROUP BY f.followee_id, u.username ORDER BY followers DESC, f.followee_id LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Suggested {
                id: row.uuid("id")?,
                username: row.try_get("username")?,
                via: 0,
                followers: row.try_get("followers")?,
            })
        })
        .collect()
}
