//! Notifications and their groups. A notice joins the open group of its kind and target (the
//! post, or the recipient for follows and sign-ups) when its kind groups and its recipient
//! wants it grouped, or starts a group of its own; taking a notification back (an unlike, an
//! unfollow, a deleted post) takes it out of its group, so a count is always the number of
//! notifications in the group. Every change of a recipient's groups takes the next number of
//! the recipient's counter: the live stream resumes from it.

use std::collections::HashSet;

use platform::{Change, db::RowExt};
use sqlx::Row;
use uuid::Uuid;

use super::{Store, post_key};
use crate::domain::{Kind, Notice, NotificationsError, joins};

type Result<T> = std::result::Result<T, NotificationsError>;

/// How many accounts a group names.
pub const SAMPLES: usize = 8;

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub recipient: Uuid,
    pub kind: Kind,
    /// The post it is about, 0 for none.
    pub post_key: i64,
    pub opened_at_ms: i64,
    pub latest_at_ms: i64,
    pub count: i64,
    /// The newest accounts, newest first.
    pub sample_ids: Vec<String>,
    pub version: i64,
    pub removed: bool,
}

/// A recipient's group that changed, and the counter value it changed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changed {
    pub recipient: Uuid,
    pub version: i64,
}

const COLUMNS: &str = "id, recipient_id, kind, post_key, opened_at_ms, latest_at_ms, count, sample_ids, version, \
                       CASE WHEN removed = 1 THEN 1 ELSE 0 END AS removed";

fn group(row: &sqlx::any::AnyRow) -> Result<Group> {
    let kind: String = row.try_get("kind")?;
    Ok(Group {
        id: row.try_get("id")?,
        recipient: row.uuid("recipient_id")?,
        kind: Kind::parse(&kind).ok_or_else(|| platform::StoreError::decode("kind", format!("`{kind}`")))?,
        post_key: row.try_get("post_key")?,
        opened_at_ms: row.try_get("opened_at_ms")?,
        latest_at_ms: row.try_get("latest_at_ms")?,
        count: row.try_get("count")?,
        sample_ids: row.json("sample_ids")?,
        version: row.try_get("version")?,
        removed: row.try_get::<i32, _>("removed")? == 1,
    })
}

/// The next value of `recipient`'s change counter.
async fn next_version(change: &mut Change, recipient: Uuid) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO recipients (id, version) VALUES ($1, 1) \
         ON CONFLICT (id) DO UPDATE SET version = recipients.version + 1 RETURNING version",
    )
    .bind(recipient.to_string())
    .fetch_one(change.conn())
    .await?;
    Ok(row.try_get("version")?)
}

/// Records `notice` (grouped when `grouped` and its kind groups, within `window_ms`). None when
/// it is already recorded: a redelivered event, or the same like twice.
pub async fn record(change: &mut Change, notice: &Notice, grouped: bool, window_ms: i64) -> Result<Option<Changed>> {
    let (recipient, actor, post) = (notice.recipient.to_string(), notice.actor.to_string(), post_key(notice.post));
    let known = sqlx::query(
        "SELECT 1 AS one FROM notifications WHERE recipient_id = $1 AND kind = $2 AND actor_id = $3 AND post_key = $4",
    )
    .bind(&recipient)
    .bind(notice.kind.as_str())
    .bind(&actor)
    .bind(post)
    .fetch_optional(change.conn())
    .await?;
    if known.is_some() {
        return Ok(None);
    }
    let version = next_version(change, notice.recipient).await?;
    let open = if grouped && notice.kind.groups() {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notification_groups WHERE recipient_id = $1 AND kind = $2 AND post_key = $3 \
             AND removed = 0 AND opened_at_ms <= $4 ORDER BY opened_at_ms DESC LIMIT 1"
        ))
        .bind(&recipient)
        .bind(notice.kind.as_str())
        .bind(post)
        .bind(notice.at_ms)
        .fetch_optional(change.conn())
        .await?;
        row.map(|r| group(&r)).transpose()?.filter(|g| joins(g.opened_at_ms, notice.at_ms, window_ms))
    } else {
        None
    };
    let group_id = match open {
        Some(mut open) => {
            open.sample_ids.retain(|id| *id != actor);
            open.sample_ids.insert(0, actor.clone());
            open.sample_ids.truncate(SAMPLES);
            sqlx::query(
                "UPDATE notification_groups SET count = count + 1, latest_at_ms = $1, sample_ids = $2, version = $3 \
                 WHERE id = $4",
            )
            .bind(open.latest_at_ms.max(notice.at_ms))
            .bind(platform::db::to_json(&open.sample_ids))
            .bind(version)
            .bind(&open.id)
            .execute(change.conn())
            .await?;
            open.id
        }
        None => {
            let id = Uuid::now_v7().to_string();
            sqlx::query(
                "INSERT INTO notification_groups (id, recipient_id, kind, post_key, opened_at_ms, latest_at_ms, count, \
                 sample_ids, version) VALUES ($1, $2, $3, $4, $5, $5, 1, $6, $7)",
            )
            .bind(&id)
            .bind(&recipient)
            .bind(notice.kind.as_str())
            .bind(post)
            .bind(notice.at_ms)
            .bind(platform::db::to_json(&[&actor]))
            .bind(version)
            .execute(change.conn())
            .await?;
            id
        }
    };
    sqlx::query(
        "INSERT INTO notifications (id, group_id, recipient_id, kind, actor_id, post_key, created_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(&group_id)
    .bind(&recipient)
    .bind(notice.kind.as_str())
    .bind(&actor)
    .bind(post)
    .bind(notice.at_ms)
    .execute(change.conn())
    .await?;
    Ok(Some(Changed { recipient: notice.recipient, version }))
}

/// Which notifications to take back.
pub enum Taken {
    /// One: `actor`'s notice of `kind` about `post_key` to `recipient` (an unlike, an unfollow).
    One { recipient: Uuid, kind: Kind, actor: Uuid, post_key: i64 },
    /// Every notification about a post (it was deleted or hidden).
    AboutPost(i64),
    /// Every notification from `actor` to `recipient` (a block or mute), or to anyone.
    From { actor: Uuid, recipient: Option<Uuid> },
}

/// A bound value of a filter.
enum Value {
    Text(String),
    Number(i64),
}

fn bound<'q>(sql: &'q str, values: &'q [Value]) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let mut query = sqlx::query(sql);
    for value in values {
        query = match value {
            Value::Text(text) => query.bind(text.as_str()),
            Value::Number(n) => query.bind(*n),
        };
    }
    query
}

/// Takes back the notifications `what` names, each out of its group (emptied groups are
/// marked removed); the groups that changed.
pub async fn take_back(change: &mut Change, what: Taken) -> Result<Vec<Changed>> {
    use Value::{Number, Text};
    let (filter, values): (String, Vec<Value>) = match what {
        Taken::One { recipient, kind, actor, post_key } => (
            "recipient_id = $1 AND kind = $2 AND actor_id = $3 AND post_key = $4".into(),
            vec![Text(recipient.to_string()), Text(kind.as_str().into()), Text(actor.to_string()), Number(post_key)],
        ),
        Taken::AboutPost(post_key) => ("post_key = $1".into(), vec![Number(post_key)]),
        Taken::From { actor, recipient: Some(recipient) } => {
            ("actor_id = $1 AND recipient_id = $2".into(), vec![Text(actor.to_string()), Text(recipient.to_string())])
        }
        Taken::From { actor, recipient: None } => ("actor_id = $1".into(), vec![Text(actor.to_string())]),
    };
    let select = format!("SELECT DISTINCT group_id FROM notifications WHERE {filter}");
    let rows = bound(&select, &values).fetch_all(change.conn()).await?;
    let groups: Vec<String> = rows.iter().map(|r| r.try_get("group_id")).collect::<std::result::Result<_, _>>()?;
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let delete = format!("DELETE FROM notifications WHERE {filter}");
    bound(&delete, &values).execute(change.conn()).await?;
    let mut changed = Vec::with_capacity(groups.len());
    for id in groups {
        changed.extend(recount(change, &id).await?);
    }
    Ok(changed)
}

/// Brings a group back in line with its notifications: count, latest time, samples; removed
/// when none is left.
async fn recount(change: &mut Change, id: &str) -> Result<Option<Changed>> {
    let Some(row) = sqlx::query(&format!("SELECT {COLUMNS} FROM notification_groups WHERE id = $1"))
        .bind(id)
        .fetch_optional(change.conn())
        .await?
    else {
        return Ok(None);
    };
    let stored = group(&row)?;
    let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM notifications WHERE group_id = $1")
        .bind(id)
        .fetch_one(change.conn())
        .await?
        .try_get("n")?;
    let newest = sqlx::query("SELECT actor_id, created_at_ms FROM notifications WHERE group_id = $1 ORDER BY created_at_ms DESC, id DESC LIMIT $2")
        .bind(id)
        .bind(SAMPLES as i64)
        .fetch_all(change.conn())
        .await?;
    let samples: Vec<String> = newest.iter().map(|r| r.try_get("actor_id")).collect::<std::result::Result<_, _>>()?;
    let latest = match newest.first() {
        Some(row) => row.try_get("created_at_ms")?,
        None => stored.latest_at_ms,
    };
    let version = next_version(change, stored.recipient).await?;
    sqlx::query(
        "UPDATE notification_groups SET count = $1, latest_at_ms = $2, sample_ids = $3, version = $4, removed = $5 \
         WHERE id = $6",
    )
    .bind(count)
    .bind(latest)
    .bind(platform::db::to_json(&samples))
    .bind(version)
    .bind(i32::from(count == 0 || stored.removed))
    .bind(id)
    .execute(change.conn())
    .await?;
    Ok(Some(Changed { recipient: stored.recipient, version }))
}

/// Everything addressed to a deleted account goes.
pub async fn forget_recipient(change: &mut Change, recipient: Uuid) -> Result<()> {
    let id = recipient.to_string();
    for sql in [
        "DELETE FROM notifications WHERE recipient_id = $1",
        "DELETE FROM notification_groups WHERE recipient_id = $1",
        "DELETE FROM recipients WHERE id = $1",
    ] {
        sqlx::query(sql).bind(&id).execute(change.conn()).await?;
    }
    Ok(())
}

/// Where a page of groups continues: after the group last shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub latest_at_ms: i64,
    pub id: String,
}

/// Up to `limit` of `recipient`'s groups, the most recently active first, after `after`, of
/// `kinds` (all when empty).
pub async fn page(
    store: &Store,
    recipient: Uuid,
    kinds: &HashSet<Kind>,
    after: Option<&Position>,
    limit: usize,
) -> Result<Vec<Group>> {
    let mut sql = format!("SELECT {COLUMNS} FROM notification_groups WHERE recipient_id = $1 AND removed = 0");
    let mut next = 2;
    if !kinds.is_empty() {
        sql.push_str(&format!(" AND kind IN ({})", platform::db::placeholders(next, kinds.len())));
        next += kinds.len();
    }
    if after.is_some() {
        sql.push_str(&format!(" AND (latest_at_ms < ${next} OR (latest_at_ms = ${next} AND id < ${}))", next + 1));
        next += 2;
    }
    sql.push_str(&format!(" ORDER BY latest_at_ms DESC, id DESC LIMIT ${next}"));
    let mut query = sqlx::query(&sql).bind(recipient.to_string());
    let mut kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    kinds.sort_unstable();
    for kind in kinds {
        query = query.bind(kind);
    }
    if let Some(after) = after {
        query = query.bind(after.latest_at_ms).bind(after.id.clone());
    }
    let rows = query.bind(limit as i64).fetch_all(store.db().reader()).await?;
    rows.iter().map(group).collect()
}

/// One of `recipient`'s groups (removed ones too, with `removed` set).
pub async fn one(store: &Store, recipient: Uuid, id: &str) -> Result<Group> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM notification_groups WHERE id = $1 AND recipient_id = $2"))
        .bind(id)
        .bind(recipient.to_string())
        .fetch_optional(store.db().reader())
        .await?
        .ok_or(NotificationsError::NotFound)?;
    group(&row)
}

/// The accounts of a group, newest first, after the notification `after` (its time and id).
pub async fn accounts(
    store: &Store,
    group: &str,
    after: Option<(i64, String)>,
    limit: usize,
) -> Result<Vec<(String, i64, String)>> {
    let rows = match after {
        None => sqlx::query(
            "SELECT actor_id, created_at_ms, id FROM notifications WHERE group_id = $1 \
             ORDER BY created_at_ms DESC, id DESC LIMIT $2",
        )
        .bind(group)
        .bind(limit as i64)
        .fetch_all(store.db().reader())
        .await?,
        Some((at, id)) => sqlx::query(
            "SELECT actor_id, created_at_ms, id FROM notifications WHERE group_id = $1 \
             AND (created_at_ms < $2 OR (created_at_ms = $2 AND id < $3)) ORDER BY created_at_ms DESC, id DESC LIMIT $4",
        )
        .bind(group)
        .bind(at)
        .bind(id)
        .bind(limit as i64)
        .fetch_all(store.db().reader())
        .await?,
    };
    rows.iter().map(|r| Ok((r.try_get("actor_id")?, r.try_get("created_at_ms")?, r.try_get("id")?))).collect()
}

/// The groups of `recipient` changed after counter value `after`, in the order they changed
/// (removed ones included), at most `limit`.
pub async fn changed_since(store: &Store, recipient: Uuid, after: i64, limit: usize) -> Result<Vec<Group>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notification_groups WHERE recipient_id = $1 AND version > $2 ORDER BY version LIMIT $3"
    ))
    .bind(recipient.to_string())
    .bind(after)
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    rows.iter().map(group).collect()
}

/// `recipient`'s read marker (the newest group time read) and change counter.
pub async fn marker(store: &Store, recipient: Uuid) -> Result<(i64, i64)> {
    let row = sqlx::query("SELECT read_up_to_ms, version FROM recipients WHERE id = $1")
        .bind(recipient.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(match row {
        Some(row) => (row.try_get("read_up_to_ms")?, row.try_get("version")?),
        None => (0, 0),
    })
}

/// Moves the read marker forward to `up_to_ms` (never back).
pub async fn mark_read(store: &Store, recipient: Uuid, up_to_ms: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO recipients (id, version, read_up_to_ms) VALUES ($1, 0, $2) ON CONFLICT (id) DO UPDATE \
         SET read_up_to_ms = CASE WHEN recipients.read_up_to_ms > $2 THEN recipients.read_up_to_ms ELSE $2 END \
         RETURNING read_up_to_ms",
    )
    .bind(recipient.to_string())
    .bind(up_to_ms)
    .fetch_one(store.db().writer())
    .await?;
    Ok(row.try_get("read_up_to_ms")?)
}

/// How many groups changed since the marker, counted up to `cap`.
pub async fn unread(store: &Store, recipient: Uuid, cap: usize) -> Result<i64> {
    let (read_up_to, _) = marker(store, recipient).await?;
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM notification_groups WHERE recipient_id = $1 AND removed = 0 \
         AND latest_at_ms > $2 LIMIT $3) AS unread",
    )
    .bind(recipient.to_string())
    .bind(read_up_to)
    .bind(cap as i64)
    .fetch_one(store.db().reader())
    .await?;
    Ok(row.try_get("n")?)
}

/// Dismisses one of `recipient`'s groups; false when there is no such group.
pub async fn dismiss(store: &Store, recipient: Uuid, id: &str) -> Result<Option<Changed>> {
    let mut change = store.begin().await?;
    let exists =
        sqlx::query("SELECT 1 AS one FROM notification_groups WHERE id = $1 AND recipient_id = $2 AND removed = 0")
            .bind(id)
            .bind(recipient.to_string())
            .fetch_optional(change.conn())
            .await?;
    if exists.is_none() {
        return Ok(None);
    }
    let version = next_version(&mut change, recipient).await?;
    sqlx::query("UPDATE notification_groups SET removed = 1, version = $1 WHERE id = $2")
        .bind(version)
        .bind(id)
        .execute(change.conn())
        .await?;
    change.commit().await?;
    Ok(Some(Changed { recipient, version }))
}
