//! Bulk inserts into the read model, for synthetic networks: rows go in hundreds per statement,
//! thousands per transaction.

use contracts::PostId;
use platform::{StoreError, db::to_json};
use uuid::Uuid;

use super::Store;

/// A public post by `author`.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub id: PostId,
    pub author: Uuid,
    pub text: String,
    pub tags: Vec<String>,
}

/// Rows per statement: well under every database's limit on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 20_000;

/// Inserts `rows` into `table (columns)`, skipping rows that exist.
async fn insert(store: &Store, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<(), StoreError> {
    for batch in rows.chunks(ROWS_PER_TRANSACTION) {
        let mut change = store.begin().await?;
        for statement in batch.chunks(ROWS_PER_STATEMENT) {
            let values: Vec<String> = (0..statement.len())
                .map(|i| format!("({})", platform::db::placeholders(1 + i * columns.len(), columns.len())))
                .collect();
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
            query.execute(change.conn()).await?;
        }
        change.commit().await?;
    }
    Ok(())
}

enum Value {
    Text(String),
    Int(i64),
}

/// Authors: `(id, username)`.
pub async fn authors(store: &Store, authors: &[(Uuid, String)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> = authors
        .iter()
        .map(|(id, name)| vec![Value::Text(id.to_string()), Value::Text(name.clone()), Value::Text(name.clone())])
        .collect();
    insert(store, "feed_authors", &["id", "username", "display_name"], &rows).await
}

/// Follows: `(follower, followee)`. Call [`recount_followers`] once after the last batch.
pub async fn follows(store: &Store, follows: &[(Uuid, Uuid)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> =
        follows.iter().map(|(a, b)| vec![Value::Text(a.to_string()), Value::Text(b.to_string())]).collect();
    insert(store, "feed_follows", &["follower_id", "followee_id"], &rows).await
}

/// Recomputes every follower count from the follows (what decides push or pull).
pub async fn recount_followers(store: &Store) -> Result<(), StoreError> {
    let mut change = store.begin().await?;
    sqlx::query("DELETE FROM feed_follower_counts").execute(change.conn()).await?;
    sqlx::query(
        "INSERT INTO feed_follower_counts (author_id, followers) \
         SELECT followee_id, COUNT(*) FROM feed_follows GROUP BY followee_id",
    )
    .execute(change.conn())
    .await?;
    change.commit().await
}

/// When each user last read their home: `(user, unix ms)`.
pub async fn readers(store: &Store, readers: &[(Uuid, i64)]) -> Result<(), StoreError> {
    let rows: Vec<Vec<Value>> =
        readers.iter().map(|(user, at)| vec![Value::Text(user.to_string()), Value::Int(*at)]).collect();
    insert(store, "feed_readers", &["user_id", "last_read_ms"], &rows).await
}

/// Public posts, with their tags, as content's events would have recorded them.
pub async fn posts(store: &Store, posts: &[NewPost]) -> Result<(), StoreError> {
    let mut rows = Vec::with_capacity(posts.len());
    let mut tags = Vec::new();
    for post in posts {
        rows.push(vec![
            Value::Int(post.id.get() as i64),
            Value::Text(post.author.to_string()),
            Value::Text("public".to_owned()),
            Value::Text(String::new()),
            Value::Int(post.id.unix_ms() as i64),
            Value::Text(post.text.clone()),
            Value::Text(to_json(&post.tags)),
        ]);
        tags.extend(post.tags.iter().map(|t| vec![Value::Text(t.clone()), Value::Int(post.id.get() as i64)]));
    }
    let columns = ["id", "author_id", "visibility", "summary", "created_at_ms", "text", "tags"];
    insert(store, "feed_posts", &columns, &rows).await?;
    insert(store, "feed_post_tags", &["tag", "post_id"], &tags).await
}
