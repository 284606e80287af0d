//! `subscriptions`: who subscribed to which source. Subscribing through the crawler's API
//! writes the row and the event that makes graph's follow; graph's follow events keep the rows
//! in step with follows made or removed elsewhere (a source's account is followed like anyone).

use contracts::crawler::{CrawlerEvent, Subscription};
use platform::{
    Change,
    db::{RowExt, now_ms},
};
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::{domain::CrawlerError, store::sources::Source};

/// Subscribes `user` to `source`, with the event that follows its account; `false` when already.
pub async fn add_in(change: &mut Change, user: Uuid, source: &Source) -> Result<bool, CrawlerError> {
    let added = mirror_in(change, user, source.id, true).await?;
    // The event even when the row existed: graph's follow may have been removed meanwhile.
    change.emit(&CrawlerEvent::Subscribed(Subscription { user_id: user, account_id: source.account_id })).await?;
    Ok(added)
}

/// Unsubscribes `user` from `source`, with the event that unfollows its account.
pub async fn remove_in(change: &mut Change, user: Uuid, source: &Source) -> Result<bool, CrawlerError> {
    let removed = mirror_in(change, user, source.id, false).await?;
    change.emit(&CrawlerEvent::Unsubscribed(Subscription { user_id: user, account_id: source.account_id })).await?;
    Ok(removed)
}

/// Adds or removes the row alone (graph's follow events, which need no event back).
pub async fn mirror_in(change: &mut Change, user: Uuid, source: Uuid, present: bool) -> Result<bool, CrawlerError> {
    let query = if present {
        sqlx::query(
            "INSERT INTO subscriptions (user_id, source_id, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(user.to_string())
        .bind(source.to_string())
        .bind(now_ms())
    } else {
        sqlx::query("DELETE FROM subscriptions WHERE user_id = $1 AND source_id = $2")
            .bind(user.to_string())
            .bind(source.to_string())
    };
    Ok(query.execute(change.conn()).await?.rows_affected() == 1)
}

/// Removes every subscription of a deleted user.
pub async fn forget_user_in(change: &mut Change, user: Uuid) -> Result<(), CrawlerError> {
    sqlx::query("DELETE FROM subscriptions WHERE user_id = $1").bind(user.to_string()).execute(change.conn()).await?;
    Ok(())
}

pub async fn is_subscribed(store: &Store, user: Uuid, source: Uuid) -> Result<bool, CrawlerError> {
    let row = sqlx::query("SELECT 1 FROM subscriptions WHERE user_id = $1 AND source_id = $2")
        .bind(user.to_string())
        .bind(source.to_string())
        .fetch_optional(store.db().reader())
        .await?;
    Ok(row.is_some())
}

/// `user`'s subscriptions, newest first: source ids after `before` (a `created_at_ms:id`
/// position), up to `limit + 1` to tell whether more follow.
pub async fn of_user(
    store: &Store,
    user: Uuid,
    before: Option<(i64, Uuid)>,
    limit: u32,
) -> Result<Vec<(i64, Uuid)>, CrawlerError> {
    let (at, id) = before.map_or((i64::MAX, "~".to_owned()), |(at, id)| (at, id.to_string()));
    let rows = sqlx::query(
        "SELECT source_id, created_at_ms FROM subscriptions WHERE user_id = $1 \
         AND (created_at_ms < $2 OR (created_at_ms = $2 AND source_id < $3)) \
         ORDER BY created_at_ms DESC, source_id DESC LIMIT $4",
    )
    .bind(user.to_string())
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(store.db().reader())
    .await?;
    rows.iter().map(|r| Ok((r.try_get("created_at_ms")?, r.uuid("source_id")?))).collect()
}
