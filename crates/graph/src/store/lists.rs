//! Followers and following lists, newest first, by keyset.

use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::GraphError;

/// Which side of the follows a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Who follows the user.
    Followers,
    /// Whom the user follows.
    Following,
}

/// One account in a list.
#[derive(Debug, Clone)]
pub struct Connection {
    pub id: String,
    pub username: String,
    pub since_ms: i64,
}

/// Up to `limit` connections of `user`, strictly after `after` (`(since_ms, id)` of the last
/// one of the previous page).
pub async fn page(
    store: &Store,
    user: Uuid,
    side: Side,
    after: Option<(i64, String)>,
    limit: u32,
) -> Result<Vec<Connection>, GraphError> {
    let (theirs, mine) = match side {
        Side::Followers => ("follower_id", "followee_id"),
        Side::Following => ("followee_id", "follower_id"),
    };
    let keyset = if after.is_some() {
        format!("AND (f.created_at_ms < $2 OR (f.created_at_ms = $2 AND f.{theirs} < $3))")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT f.{theirs} AS id, u.username, f.created_at_ms FROM follows f JOIN known_users u ON u.id = f.{theirs} \
         WHERE f.{mine} = $1 AND u.active = TRUE {keyset} ORDER BY f.created_at_ms DESC, f.{theirs} DESC LIMIT {limit}"
    );
    let mut query = sqlx::query(&sql).bind(user.to_string());
    if let Some((at, other)) = after {
        query = query.bind(at).bind(other);
    }
    let rows = query.fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|row| {
            Ok(Connection {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                since_ms: row.try_get("created_at_ms")?,
            })
        })
        .collect()
}
