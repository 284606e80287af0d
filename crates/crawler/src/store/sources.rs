//! `sources`: one row per feed, with what its last fetch saw and when the next one is due.

use contracts::crawler::{CrawlerEvent, SourceAvatar, SourceProfile};
use platform::{
    Change,
    db::{RowExt, now_ms},
};
use sqlx::{Row, any::AnyRow};
use url::Url;
use uuid::Uuid;

use super::Store;
use crate::{
    domain::{CrawlerError, proposed_username, source_url},
    fetch::Validators,
};

/// What a source is fetched as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A feed (RSS, Atom, JSON Feed) at `feed_url`.
    Feed,
    /// A website without a feed, crawled from `feed_url` (its home page), its sitemap and its
    /// links (see `site`).
    Site,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Feed => "feed",
            Kind::Site => "site",
        }
    }
}

/// A source as stored.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: Uuid,
    pub account_id: Uuid,
    pub kind: Kind,
    /// The feed's URL, or the site's for a site source.
    pub feed_url: String,
    pub home_url: Option<String>,
    pub title: String,
    pub description: String,
    pub username: Option<String>,
    pub validators: Validators,
    pub last_fetch_at_ms: Option<i64>,
    pub last_success_at_ms: Option<i64>,
    pub last_unconditional_at_ms: Option<i64>,
    pub next_fetch_at_ms: i64,
    pub failures: i64,
    pub failing_since_ms: Option<i64>,
    pub last_error: Option<String>,
    pub error_count: i64,
    pub disabled_reason: Option<String>,
    pub entries_count: i64,
    /// Where the avatar was last fetched from.
    pub avatar_url: Option<String>,
    pub websub: WebSub,
    pub created_at_ms: i64,
}

/// A source's WebSub subscription, as far as it got.
#[derive(Debug, Clone, Default)]
pub struct WebSub {
    pub hub_url: Option<String>,
    pub topic_url: Option<String>,
    pub secret: Option<String>,
    pub requested_at_ms: Option<i64>,
    /// Set once the hub verified the subscription.
    pub lease_until_ms: Option<i64>,
}

impl Source {
    pub fn url(&self) -> Result<Url, CrawlerError> {
        Url::parse(&self.feed_url).map_err(|e| anyhow::anyhow!("stored feed URL {}: {e}", self.feed_url).into())
    }

    fn profile(&self) -> SourceProfile {
        let url = Url::parse(&self.feed_url).ok();
        SourceProfile {
            account_id: self.account_id,
            username: url.as_ref().map(proposed_username).unwrap_or_else(|| "feed".into()),
            display_name: self.title.clone(),
            bio: self.description.clone(),
            home_url: self.home_url.clone(),
            feed_url: self.feed_url.clone(),
        }
    }
}

const COLUMNS: &str = "id, account_id, kind, feed_url, home_url, title, description, username, etag, last_modified, \
     last_fetch_at_ms, last_success_at_ms, last_unconditional_at_ms, next_fetch_at_ms, failures, failing_since_ms, \
     last_error, error_count, disabled_reason, entries_count, hub_url, topic_url, websub_secret, \
     websub_requested_at_ms, websub_lease_until_ms, avatar_url, created_at_ms";

fn source(row: &AnyRow) -> Result<Source, CrawlerError> {
    Ok(Source {
        id: row.uuid("id")?,
        account_id: row.uuid("account_id")?,
        kind: if row.try_get::<String, _>("kind")? == "site" { Kind::Site } else { Kind::Feed },
        feed_url: row.try_get("feed_url")?,
        home_url: row.try_get("home_url")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        username: row.try_get("username")?,
        validators: Validators { etag: row.try_get("etag")?, last_modified: row.try_get("last_modified")? },
        last_fetch_at_ms: row.try_get("last_fetch_at_ms")?,
        last_success_at_ms: row.try_get("last_success_at_ms")?,
        last_unconditional_at_ms: row.try_get("last_unconditional_at_ms")?,
        next_fetch_at_ms: row.try_get("next_fetch_at_ms")?,
        failures: row.try_get::<i64, _>("failures")?,
        failing_since_ms: row.try_get("failing_since_ms")?,
        last_error: row.try_get("last_error")?,
        error_count: row.try_get("error_count")?,
        disabled_reason: row.try_get("disabled_reason")?,
        entries_count: row.try_get("entries_count")?,
        avatar_url: row.try_get("avatar_url")?,
        websub: WebSub {
            hub_url: row.try_get("hub_url")?,
            topic_url: row.try_get("topic_url")?,
            secret: row.try_get("websub_secret")?,
            requested_at_ms: row.try_get("websub_requested_at_ms")?,
            lease_until_ms: row.try_get("websub_lease_until_ms")?,
        },
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

pub async fn by_id(store: &Store, id: Uuid) -> Result<Option<Source>, CrawlerError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM sources WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    row.as_ref().map(source).transpose()
}

/// The source of a feed URL (in any spelling with the same canonical form).
pub async fn by_feed_url(store: &Store, url: &Url) -> Result<Option<Source>, CrawlerError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM sources WHERE feed_key = $1"))
        .bind(source_url::canonical(url))
        .fetch_optional(store.db().reader())
        .await?;
    row.as_ref().map(source).transpose()
}

/// Sources by id, for a page of subscriptions.
pub async fn many(store: &Store, ids: &[Uuid]) -> Result<Vec<Source>, CrawlerError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!("SELECT {COLUMNS} FROM sources WHERE id IN ({})", platform::db::placeholders(1, chunk.len()));
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(store.db().reader()).await? {
            found.push(source(&row)?);
        }
    }
    Ok(found)
}

/// What a new source starts with.
#[derive(Debug, Clone)]
pub struct NewSource<'a> {
    pub kind: Kind,
    pub feed_url: &'a Url,
    pub title: &'a str,
    pub description: &'a str,
    pub home_url: Option<&'a str>,
    /// When it is first fetched (now, for a source added without a fetch).
    pub next_fetch_at_ms: i64,
}

/// Creates the source of a feed, with the event that makes its account; the existing source
/// when the feed has one already (also when another request created it a moment ago).
pub async fn create_in(change: &mut Change, new: NewSource<'_>) -> Result<(Source, bool), CrawlerError> {
    let key = source_url::canonical(new.feed_url);
    let title = if new.title.trim().is_empty() { new.feed_url.host_str().unwrap_or("feed") } else { new.title };
    let inserted = sqlx::query(
        "INSERT INTO sources (id, account_id, kind, feed_url, feed_key, home_url, title, description, \
         next_fetch_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (feed_key) DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(Uuid::now_v7().to_string())
    .bind(new.kind.as_str())
    .bind(new.feed_url.as_str())
    .bind(&key)
    .bind(new.home_url)
    .bind(title)
    .bind(new.description)
    .bind(new.next_fetch_at_ms)
    .bind(now_ms())
    .execute(change.conn())
    .await?
    .rows_affected()
        == 1;
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM sources WHERE feed_key = $1"))
        .bind(&key)
        .fetch_one(change.conn())
        .await?;
    let created = source(&row)?;
    if inserted {
        change.emit(&CrawlerEvent::SourceCreated(created.profile())).await?;
    }
    Ok((created, inserted))
}

/// Updates the title, description and home page a fetch saw, with the event that updates the
/// account; nothing when nothing changed.
pub async fn update_profile_in(
    change: &mut Change,
    current: &Source,
    title: &str,
    description: &str,
    home_url: Option<&str>,
) -> Result<(), CrawlerError> {
    let title = if title.trim().is_empty() { current.title.as_str() } else { title };
    if title == current.title && description == current.description && home_url == current.home_url.as_deref() {
        return Ok(());
    }
    sqlx::query("UPDATE sources SET title = $1, description = $2, home_url = $3 WHERE id = $4")
        .bind(title)
        .bind(description)
        .bind(home_url)
        .bind(current.id.to_string())
        .execute(change.conn())
        .await?;
    let updated = Source {
        title: title.to_owned(),
        description: description.to_owned(),
        home_url: home_url.map(str::to_owned),
        ..current.clone()
    };
    change.emit(&CrawlerEvent::SourceUpdated(updated.profile())).await?;
    Ok(())
}

/// An image a source names, as fetched.
#[derive(Debug, Clone)]
pub struct FetchedAvatar {
    pub url: Url,
    /// `None`: it could not be fetched, or is no image an event carries.
    pub bytes: Option<AvatarBytes>,
}

#[derive(Debug, Clone)]
pub struct AvatarBytes {
    pub media_type: Option<String>,
    /// Base64.
    pub data: String,
}

/// Records where `source`'s avatar came from, with the event that carries the image. The URL
/// is recorded also when the image could not be had, so it is not tried on every fetch.
pub async fn avatar_in(change: &mut Change, source: &Source, avatar: &FetchedAvatar) -> Result<(), CrawlerError> {
    sqlx::query("UPDATE sources SET avatar_url = $1 WHERE id = $2")
        .bind(avatar.url.as_str())
        .bind(source.id.to_string())
        .execute(change.conn())
        .await?;
    if let Some(bytes) = &avatar.bytes {
        let event = SourceAvatar {
            account_id: source.account_id,
            url: avatar.url.to_string(),
            media_type: bytes.media_type.clone(),
            data: bytes.data.clone(),
        };
        change.emit(&CrawlerEvent::AvatarFetched(event)).await?;
    }
    Ok(())
}

/// Leases up to `limit` enabled sources whose fetch is due, for `lease_ms`. A source leased by
/// another replica is skipped; the lease ends with the fetch's outcome, or by itself.
pub async fn claim_due(store: &Store, limit: usize, lease_ms: i64) -> Result<Vec<Source>, CrawlerError> {
    let now = now_ms();
    let due = sqlx::query(
        "SELECT id FROM sources WHERE disabled_reason IS NULL AND next_fetch_at_ms <= $1 AND lease_until_ms < $1 \
         ORDER BY next_fetch_at_ms LIMIT $2",
    )
    .bind(now)
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    let mut claimed = Vec::with_capacity(due.len());
    for row in &due {
        let id: String = row.try_get("id")?;
        // The whole condition again, in the UPDATE: of two replicas that saw the row due, one
        // wins, and the other must not take a lease the winner already gave back after fetching
        // (the lease is free again then, but the source is no longer due).
        let won = sqlx::query(
            "UPDATE sources SET lease_until_ms = $1 WHERE id = $2 AND lease_until_ms < $3 \
             AND next_fetch_at_ms <= $3 AND disabled_reason IS NULL",
        )
        .bind(now + lease_ms)
        .bind(&id)
        .bind(now)
        .execute(store.db().writer())
        .await?
        .rows_affected()
            == 1;
        if won {
            claimed.push(id.parse::<Uuid>().map_err(|e| anyhow::anyhow!("source id {id}: {e}"))?);
        }
    }
    many(store, &claimed).await
}

/// Takes the lease of one source for a fetch asked for by hand; `false` when a fetch of it is
/// in flight.
pub async fn lease(store: &Store, id: Uuid, lease_ms: i64) -> Result<bool, CrawlerError> {
    let now = now_ms();
    Ok(sqlx::query("UPDATE sources SET lease_until_ms = $1 WHERE id = $2 AND lease_until_ms < $3")
        .bind(now + lease_ms)
        .bind(id.to_string())
        .bind(now)
        .execute(store.db().writer())
        .await?
        .rows_affected()
        == 1)
}

/// What a successful fetch leaves.
#[derive(Debug)]
pub struct Success<'a> {
    pub validators: &'a Validators,
    pub unconditional: bool,
    pub next_fetch_at_ms: i64,
    /// Where the feed lives now (permanent redirects).
    pub moved_to: Option<&'a Url>,
    pub new_entries: i64,
}

/// Records a successful fetch inside `change` and ends the lease.
pub async fn succeeded_in(change: &mut Change, id: Uuid, success: Success<'_>) -> Result<(), CrawlerError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE sources SET etag = $1, last_modified = $2, last_fetch_at_ms = $3, last_success_at_ms = $3, \
         last_unconditional_at_ms = CASE WHEN $4 = 1 THEN $3 ELSE last_unconditional_at_ms END, \
         next_fetch_at_ms = $5, failures = 0, failing_since_ms = NULL, last_error = NULL, lease_until_ms = 0, \
         entries_count = entries_count + $6 WHERE id = $7",
    )
    .bind(&success.validators.etag)
    .bind(&success.validators.last_modified)
    .bind(now)
    .bind(i64::from(success.unconditional))
    .bind(success.next_fetch_at_ms)
    .bind(success.new_entries)
    .bind(id.to_string())
    .execute(change.conn())
    .await?;
    if let Some(moved_to) = success.moved_to {
        // Another source may already have the new URL: then this one keeps its old one.
        let taken = sqlx::query("SELECT 1 FROM sources WHERE feed_key = $1")
            .bind(source_url::canonical(moved_to))
            .fetch_optional(change.conn())
            .await?
            .is_some();
        if !taken {
            sqlx::query("UPDATE sources SET feed_url = $1, feed_key = $2 WHERE id = $3")
                .bind(moved_to.as_str())
                .bind(source_url::canonical(moved_to))
                .bind(id.to_string())
                .execute(change.conn())
                .await?;
        }
    }
    Ok(())
}

/// Records a failed fetch and ends the lease; `disable` says why the source stops.
pub async fn failed(
    store: &Store,
    id: Uuid,
    error: &str,
    next_fetch_at_ms: i64,
    disable: Option<&str>,
) -> Result<(), CrawlerError> {
    let now = now_ms();
    sqlx::query(
        "UPDATE sources SET last_fetch_at_ms = $1, failures = failures + 1, \
         failing_since_ms = COALESCE(failing_since_ms, $1), last_error = $2, error_count = error_count + 1, \
         next_fetch_at_ms = $3, disabled_reason = COALESCE($4, disabled_reason), lease_until_ms = 0 WHERE id = $5",
    )
    .bind(now)
    .bind(error.chars().take(500).collect::<String>())
    .bind(next_fetch_at_ms)
    .bind(disable)
    .bind(id.to_string())
    .execute(store.db().writer())
    .await?;
    Ok(())
}

/// Disables a source (`Some(reason)`) or enables it again, due at once with a clean record.
pub async fn set_disabled(store: &Store, id: Uuid, reason: Option<&str>) -> Result<bool, CrawlerError> {
    let sql = match reason {
        Some(_) => "UPDATE sources SET disabled_reason = $1 WHERE id = $2",
        None => {
            "UPDATE sources SET disabled_reason = $1, failures = 0, failing_since_ms = NULL, next_fetch_at_ms = 0 \
                 WHERE id = $2"
        }
    };
    Ok(sqlx::query(sql).bind(reason).bind(id.to_string()).execute(store.db().writer()).await?.rows_affected() == 1)
}

/// Disables the source of a deleted account inside `change`.
pub async fn account_deleted_in(change: &mut Change, account: Uuid) -> Result<(), CrawlerError> {
    sqlx::query("UPDATE sources SET disabled_reason = 'its account was deleted' WHERE account_id = $1")
        .bind(account.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// Records the username identity gave a source's account.
pub async fn set_username_in(change: &mut Change, account: Uuid, username: &str) -> Result<(), CrawlerError> {
    sqlx::query("UPDATE sources SET username = $1 WHERE account_id = $2")
        .bind(username)
        .bind(account.to_string())
        .execute(change.conn())
        .await?;
    Ok(())
}

/// The source whose account is `account`, if any.
pub async fn by_account_in(change: &mut Change, account: Uuid) -> Result<Option<Uuid>, CrawlerError> {
    let row = sqlx::query("SELECT id FROM sources WHERE account_id = $1")
        .bind(account.to_string())
        .fetch_optional(change.conn())
        .await?;
    Ok(row.map(|r| r.uuid("id")).transpose()?)
}

/// Every source, newest first, after `before` (a source id) for paging; `failing` keeps those
/// whose last fetch failed or that are disabled.
pub async fn list(store: &Store, before: Option<Uuid>, failing: bool, limit: u32) -> Result<Vec<Source>, CrawlerError> {
    let mut sql = format!("SELECT {COLUMNS} FROM sources WHERE id < $1");
    if failing {
        sql.push_str(" AND (failures > 0 OR disabled_reason IS NOT NULL)");
    }
    sql.push_str(" ORDER BY id DESC LIMIT $2");
    let before = before.map_or_else(|| "~".to_owned(), |id| id.to_string());
    let rows = sqlx::query(&sql).bind(before).bind(i64::from(limit) + 1).fetch_all(store.db().reader()).await?;
    rows.iter().map(source).collect()
}

/// How many enabled sources are due now (a metric).
pub async fn due_count(store: &Store) -> Result<i64, CrawlerError> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sources WHERE disabled_reason IS NULL AND next_fetch_at_ms <= $1",
    )
    .bind(now_ms())
    .fetch_one(store.db().reader())
    .await?;
    Ok(row.try_get("n")?)
}

/// Records a subscription asked of a hub (not verified yet: the lease is cleared).
pub async fn websub_requested(
    store: &Store,
    id: Uuid,
    hub: &Url,
    topic: &Url,
    secret: &str,
) -> Result<(), CrawlerError> {
    sqlx::query(
        "UPDATE sources SET hub_url = $1, topic_url = $2, websub_secret = $3, websub_requested_at_ms = $4, \
         websub_lease_until_ms = NULL WHERE id = $5",
    )
    .bind(hub.as_str())
    .bind(topic.as_str())
    .bind(secret)
    .bind(now_ms())
    .bind(id.to_string())
    .execute(store.db().writer())
    .await?;
    Ok(())
}

/// Records the lease a hub verified (`None`: the hub refused or ended the subscription).
pub async fn websub_leased(store: &Store, id: Uuid, until_ms: Option<i64>) -> Result<(), CrawlerError> {
    sqlx::query("UPDATE sources SET websub_lease_until_ms = $1 WHERE id = $2")
        .bind(until_ms)
        .bind(id.to_string())
        .execute(store.db().writer())
        .await?;
    Ok(())
}
