//! `feed_authors`: the names shown with posts, from identity's events.

use platform::Change;
use uuid::Uuid;

use crate::domain::FeedError;

pub async fn upsert(change: &mut Change, user: Uuid, username: &str, display_name: &str) -> Result<(), FeedError> {
    sqlx::query(
        "INSERT INTO feed_authors (id, username, display_name) VALUES ($1, $2, $3) \
         ON CONFLICT (id) DO UPDATE SET username = $2, display_name = $3",
    )
    .bind(user.to_string())
    .bind(username)
    .bind(display_name)
    .execute(change.conn())
    .await?;
    Ok(())
}
