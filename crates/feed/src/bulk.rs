//! Bulk import into the read model, for building large synthetic networks (the load generator)
//! before a server starts: rows go in hundreds per statement, thousands per transaction. The
//! timelines are filled by the caller through the same fan-out as live posts
//! ([`crate::home::fan_out`]), so that part is measured as it runs in production.

use platform::{StoreError, ids::PostId};

use crate::Feed;

/// A public post by `author`.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub id: PostId,
    pub author: String,
    pub text: String,
    pub tags: Vec<String>,
}

/// Rows per statement: well under every database's limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 20_000;

/// Inserts `rows` into `table (columns)`, skipping rows that exist.
async fn insert(feed: &Feed, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<(), StoreError> {
    for batch in rows.chunks(ROWS_PER_TRANSACTION) {
        let mut tx = feed.db.begin().await?;
        for statement in batch.chunks(ROWS_PER_STATEMENT) {
            let mut values = Vec::with_capacity(statement.len());
            let mut n = 0;
            for _ in statement {
                let row: Vec<String> = columns
                    .iter()
                    .map(|_| {
                        n += 1;
                        format!("${n}")
                    })
                    .collect();
                values.push(format!("({})", row.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES {} ON CONFLICT DO NOTHING",
                columns.join(", "),
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for value in statement.iter().flatten() {
                query = match value {
                    Value::Text(text) => query.bind(text.as_str()),
                    Value::Int(int) => query.bind(*int),
                };
            }
            query.execute(&mut *tx).await.map_err(StoreError::from_sqlx)?;
        }
        tx.commit().await.map_err(StoreError::from_sqlx)?;
    }
    Ok(())
}

enum Value {
    Text(String),
    Int(i64),
}

/// Authors: `(id, username)`.
pub async fn authors(feed: &Feed, authors: &[(String, String)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> = authors
        .iter()
        .map(|(id, name)| vec![Value::Text(id.clone()), Value::Text(name.clone()), Value::Text(name.clone())])
        .collect();
    insert(feed, "feed_authors", &["id", "username", "display_name"], &rows).await
}

/// Follows: `(follower, followee)`. Call [`recount_followers`] once after the last batch.
pub async fn follows(feed: &Feed, follows: &[(String, String)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> =
        follows.iter().map(|(a, b)| vec![Value::Text(a.clone()), Value::Text(b.clone())]).collect();
    insert(feed, "feed_follows", &["follower_id", "followee_id"], &rows).await
}

/// Recomputes every follower count from the follows (what decides push or pull).
pub async fn recount_followers(feed: &Feed) -> Result<(), StoreError> {
    let mut tx = feed.db.begin().await?;
    sqlx::query("DELETE FROM feed_follower_counts").execute(&mut *tx).await.map_err(StoreError::from_sqlx)?;
    sqlx::query(
        "INSERT INTO feed_follower_counts (author_id, followers) \
         SELECT followee_id, COUNT(*) FROM feed_follows GROUP BY followee_id",
    )
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from_sqlx)?;
    tx.commit().await.map_err(StoreError::from_sqlx)
}

/// When each user last read their home: `(user, unix ms)`.
pub async fn readers(feed: &Feed, readers: &[(String, i64)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> =
        readers.iter().map(|(user, at)| vec![Value::Text(user.clone()), Value::Int(*at)]).collect();
    insert(feed, "feed_readers", &["user_id", "last_read_ms"], &rows).await
}

/// Public posts, with their tags, as content's events would have recorded them.
pub async fn posts(feed: &Feed, posts: &[NewPost]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(posts.len());
    let mut tags = Vec::new();
    for post in posts {
        let created_at_ms = post.id.unix_ms() as i64;
        let summary = serde_json::json!({
            "id": post.id.get(), "author_id": post.author, "text": post.text, "visibility": "public",
            "tags": post.tags, "media_ids": [], "created_at_ms": created_at_ms,
        });
        rows.push(vec![
            Value::Int(post.id.get() as i64),
            Value::Text(post.author.clone()),
            Value::Text("public".to_owned()),
            Value::Text(summary.to_string()),
            Value::Int(created_at_ms),
        ]);
        tags.extend(post.tags.iter().map(|t| vec![Value::Text(t.clone()), Value::Int(post.id.get() as i64)]));
    }
    insert(feed, "feed_posts", &["id", "author_id", "visibility", "summary", "created_at_ms"], &rows).await?;
    insert(feed, "feed_post_tags", &["tag", "post_id"], &tags).await
}
