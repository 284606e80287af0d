//! Who to follow, computed from the follows.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::GraphError;

/// A suggested account.
#[derive(Debug, Clone)]
pub struct Suggested {
    pub id: String,
    pub username: String,
    /// How many of the user's follows follow it.
    pub via: i64,
    pub followers: i64,
}

/// Accounts followed by the accounts `user` follows, ranked by how many of them do, then
/// popular accounts; never the user, nor accounts they follow, block, mute or are blocked by.
pub async fn for_user(store: &Store, user: Uuid) -> Result<Vec<Suggested>, GraphError> {
    let excluded = "u.id <> $1 AND u.active = TRUE \
        AND u.id NOT IN (SELECT followee_id FROM follows WHERE follower_id = $1) \
        AND u.id NOT IN (SELECT blocked_id FROM blocks WHERE blocker_id = $1) \
        AND u.id NOT IN (SELECT blocker_id FROM blocks WHERE blocked_id = $1) \
        AND u.id NOT IN (SELECT muted_id FROM mutes WHERE muter_id = $1)";
    let sql = format!(
        "SELECT u.id, u.username, \
           CAST((SELECT COUNT(*) FROM follows mine JOIN follows theirs ON theirs.follower_id = mine.followee_id \
             WHERE mine.follower_id = $1 AND theirs.followee_id = u.id) AS BIGINT) AS via, \
           CAST((SELECT COUNT(*) FROM follows f WHERE f.followee_id = u.id) AS BIGINT) AS followers \
         FROM known_users u WHERE {excluded} ORDER BY via DESC, followers DESC, u.id LIMIT 20"
    );
    let rows = sqlx::query(&sql).bind(user.to_string()).fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|row| {
            Ok(Suggested {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                via: row.try_get("via")?,
                followers: row.try_get("followers")?,
            })
        })
        .collect()
}
