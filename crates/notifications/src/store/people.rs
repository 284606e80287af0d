//! Copies of the facts that decide who is told what: people (names, roles, whether active),
//! follows with each follower's "notify me" switch, silenced pairs (a block both ways, a mute
//! one way) and posts (author, visibility, what they repost).

use std::collections::{HashMap, HashSet};

use contracts::{PostId, Role, Visibility};
use platform::{Change, db::RowExt};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::NotificationsError;

type Result<T> = std::result::Result<T, NotificationsError>;

/// An account as samples show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub display_name: String,
}

pub async fn upsert(change: &mut Change, user: Uuid, username: &str, display_name: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO people (id, username, username_key, display_name, role) VALUES ($1, $2, $3, $4, 'user') \
         ON CONFLICT (id) DO UPDATE SET username = $2, username_key = $3, display_name = $4",
    )
    .bind(user.to_string())
    .bind(username)
    .bind(username.to_lowercase())
    .bind(display_name)
    .execute(change.conn())
    .await?;
    Ok(())
}

pub async fn set_role(change: &mut Change, user: Uuid, role: Role) -> Result<()> {
    sqlx::query("UPDATE people SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

pub async fn set_active(change: &mut Change, user: Uuid, active: bool) -> Result<()> {
    sqlx::query("UPDATE people SET active = $1 WHERE id = $2")
        .bind(i32::from(active))
        .bind(user.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// A deleted account: its row, follows and silenced pairs go.
pub async fn forget(change: &mut Change, user: Uuid) -> Result<()> {
    let id = user.to_string();
    for sql in [
        "DELETE FROM people WHERE id = $1",
        "DELETE FROM follows WHERE follower_id = $1 OR followee_id = $1",
        "DELETE FROM silenced WHERE user_id = $1 OR other_id = $1",
        "DELETE FROM preferences WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(&id).execute(change.conn()).await?;
    }
    Ok(())
}

/// The active accounts with these usernames (case-insensitively).
pub async fn by_usernames(change: &mut Change, usernames: &[String]) -> Result<Vec<Uuid>> {
    if usernames.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id FROM people WHERE active = 1 AND username_key IN ({})",
        platform::db::placeholders(1, usernames.len())
    );
    let mut query = sqlx::query(&sql);
    for name in usernames {
        query = query.bind(name.to_lowercase());
    }
    let rows = query.fetch_all(change.conn()).await?;
    Ok(rows.iter().map(|r| r.uuid("id")).collect::<std::result::Result<_, _>>()?)
}

/// The active admins (those told about sign-ups).
pub async fn admins(change: &mut Change) -> Result<Vec<Uuid>> {
    let rows =
        sqlx::query("SELECT id FROM people WHERE active = 1 AND role = 'admin'").fetch_all(change.conn()).await?;
    Ok(rows.iter().map(|r| r.uuid("id")).collect::<std::result::Result<_, _>>()?)
}

/// The active moderators and admins (those told about reports).
pub async fn moderators(change: &mut Change) -> Result<Vec<Uuid>> {
    let rows = sqlx::query("SELECT id FROM people WHERE active = 1 AND role IN ('moderator', 'admin')")
        .fetch_all(change.conn())
        .await?;
    Ok(rows.iter().map(|r| r.uuid("id")).collect::<std::result::Result<_, _>>()?)
}

/// Whether `user` is active: not suspended (inactive accounts are told nothing and tell
/// nothing). An account whose registration has not arrived yet counts as active: events of
/// different services may come in either order.
pub async fn is_active(change: &mut Change, user: Uuid) -> Result<bool> {
    let row = sqlx::query("SELECT active FROM people WHERE id = $1")
        .bind(user.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(row.map(|r| r.try_get::<i32, _>("active")).transpose()?.is_none_or(|a| a == 1))
}

/// The accounts with these ids, as samples show them (unknown ids are left out).
pub async fn accounts(store: &Store, ids: &[String]) -> Result<Vec<Account>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, username, display_name FROM people WHERE id IN ({})",
        platform::db::placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    let rows = query.fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|r| {
            Ok(Account {
                id: r.try_get("id")?,
                username: r.try_get("username")?,
                display_name: r.try_get("display_name")?,
            })
        })
        .collect()
}

/// Records a follow (`present`) or its end.
pub async fn follow(change: &mut Change, follower: Uuid, followee: Uuid, present: bool) -> Result<()> {
    let sql = if present {
        "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2"
    };
    sqlx::query(sql).bind(follower.to_string()).bind(followee.to_string()).execute(change.conn()).await?;
    Ok(())
}

/// Turns `follower`'s "notify me" for `followee`'s posts on or off; false when `follower`
/// does not follow `followee`.
pub async fn set_notify(store: &Store, follower: Uuid, followee: Uuid, on: bool) -> Result<bool> {
    let done = sqlx::query("UPDATE follows SET notify = $1 WHERE follower_id = $2 AND followee_id = $3")
        .bind(i32::from(on))
        .bind(follower.to_string())
        .bind(followee.to_string())
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Whether `follower` has "notify me" on for `followee` (None: not following).
pub async fn notify(store: &Store, follower: Uuid, followee: Uuid) -> Result<Option<bool>> {
    let row = sqlx::query("SELECT notify FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .bind(follower.to_string())
        .bind(followee.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.map(|r| r.try_get::<i32, _>("notify")).transpose()?.map(|n| n == 1))
}

/// The followers of `author` who asked to be told about their posts.
pub async fn notified_followers(change: &mut Change, author: Uuid) -> Result<Vec<Uuid>> {
    let rows = sqlx::query("SELECT follower_id FROM follows WHERE followee_id = $1 AND notify = 1")
        .bind(author.to_string())
        .fetch_all(change.conn())
        .await?;
    Ok(rows.iter().map(|r| r.uuid("follower_id")).collect::<std::result::Result<_, _>>()?)
}

/// `user` no longer hears from `other` (`reason`: `block` or `mute`), or hears again.
pub async fn silence(change: &mut Change, user: Uuid, other: Uuid, reason: &str, present: bool) -> Result<()> {
    let sql = if present {
        "INSERT INTO silenced (user_id, other_id, reason) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM silenced WHERE user_id = $1 AND other_id = $2 AND reason = $3"
    };
    sqlx::query(sql).bind(user.to_string()).bind(other.to_string()).bind(reason).execute(change.conn()).await?;
    Ok(())
}

/// Whether `recipient` hears nothing from `actor`.
pub async fn silenced(change: &mut Change, recipient: Uuid, actor: Uuid) -> Result<bool> {
    let row = sqlx::query("SELECT 1 AS one FROM silenced WHERE user_id = $1 AND other_id = $2 LIMIT 1")
        .bind(recipient.to_string())
        .bind(actor.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(row.is_some())
}

/// What notifications keep of a post.
#[derive(Debug, Clone)]
pub struct PostFacts {
    pub author: Uuid,
    pub visibility: Visibility,
    pub repost_of: Option<PostId>,
}

pub async fn record_post(change: &mut Change, id: PostId, post: &PostFacts) -> Result<()> {
    sqlx::query(
        "INSERT INTO posts (id, author_id, visibility, repost_of_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET visibility = $3",
    )
    .bind(id.get() as i64)
    .bind(post.author.to_string())
    .bind(post.visibility.as_str())
    .bind(post.repost_of.map(|p| p.get() as i64))
    .execute(change.conn())
    .await?;
    Ok(())
}

/// The post, removed from the copies: what its removal must take back.
pub async fn forget_post(change: &mut Change, id: PostId) -> Result<Option<PostFacts>> {
    let post = post(change.conn(), id).await?;
    sqlx::query("DELETE FROM posts WHERE id = $1").bind(id.get() as i64).execute(change.conn()).await?;
    Ok(post)
}

pub async fn post(conn: &mut sqlx::AnyConnection, id: PostId) -> Result<Option<PostFacts>> {
    let row = sqlx::query("SELECT author_id, visibility, repost_of_id FROM posts WHERE id = $1")
        .bind(id.get() as i64)
        .fetch_optional(conn)
        .await?;
    row.map(|r| facts(&r)).transpose()
}

fn facts(row: &sqlx::any::AnyRow) -> Result<PostFacts> {
    let visibility: String = row.try_get("visibility")?;
    Ok(PostFacts {
        author: row.uuid("author_id")?,
        visibility: Visibility::parse(&visibility)
            .ok_or_else(|| platform::StoreError::decode("visibility", format!("`{visibility}`")))?,
        repost_of: row.opt_post_id("repost_of_id")?,
    })
}

/// Whether `reader` may see `post` now: the author; anyone for public and unlisted posts; the
/// author's followers (`follows_author`) for followers-only posts.
pub fn visible_to(reader: Uuid, post: &PostFacts, follows_author: bool) -> bool {
    post.author == reader
        || match post.visibility {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Followers => follows_author,
        }
}

/// [`visible_to`], reading whether `reader` follows the author when it matters.
pub async fn may_see(conn: &mut sqlx::AnyConnection, reader: Uuid, post: &PostFacts) -> Result<bool> {
    if visible_to(reader, post, false) {
        return Ok(true);
    }
    let follows = sqlx::query("SELECT 1 AS one FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .bind(reader.to_string())
        .bind(post.author.to_string())
        .fetch_optional(conn)
        .await?
        .is_some();
    Ok(visible_to(reader, post, follows))
}

/// The posts among `ids` that notifications know, in one query.
pub async fn posts(store: &Store, ids: &[PostId]) -> Result<HashMap<PostId, PostFacts>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT id, author_id, visibility, repost_of_id FROM posts WHERE id IN ({})",
        platform::db::placeholders(1, ids.len())
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id.get() as i64);
    }
    let rows = query.fetch_all(store.db().reader()).await?;
    rows.iter().map(|r| Ok((r.post_id("id")?, facts(r)?))).collect()
}

/// Which of `authors` `reader` follows, in one query.
pub async fn followed_among(store: &Store, reader: Uuid, authors: &[Uuid]) -> Result<HashSet<Uuid>> {
    if authors.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT followee_id FROM follows WHERE follower_id = $1 AND followee_id IN ({})",
        platform::db::placeholders(2, authors.len())
    );
    let mut query = sqlx::query(&sql).bind(reader.to_string());
    for author in authors {
        query = query.bind(author.to_string());
    }
    let rows = query.fetch_all(store.db().reader()).await?;
    Ok(rows.iter().map(|r| r.uuid("followee_id")).collect::<std::result::Result<_, _>>()?)
}
