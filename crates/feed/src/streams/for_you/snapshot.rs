//! Snapshots: a ranking as it was computed for its first page. Its cursor is
//! `<snapshot>:<offset>`, valid for its reader only and for `SNAPSHOT_TTL_MS`.

use uuid::Uuid;

use crate::{
    Feed,
    domain::{FeedError, score::Ranked},
    store::for_you,
};

/// A ranked list as computed for its first page.
pub struct Snapshot {
    pub id: String,
    pub items: Vec<Ranked>,
}

/// The snapshot and offset a request continues from: a new ranking for a first page, else the
/// one its cursor names.
pub async fn resume(feed: &Feed, user: Uuid, position: Option<String>) -> Result<(Snapshot, usize), FeedError> {
    let Some(position) = position else {
        // Reading "for you" is reading: it keeps the home timeline it draws on fresh.
        crate::streams::home::reading(feed, user).await?;
        let items = super::rank(feed, user).await?;
        let id = for_you::save_snapshot(&feed.store, user, &items).await?;
        return Ok((Snapshot { id, items }, 0));
    };
    let expired = || FeedError::BadCursor("has expired or is not yours; read the first page again");
    let (id, offset) = position.split_once(':').ok_or_else(expired)?;
    let offset: usize = offset.parse().map_err(|_| expired())?;
    let items = for_you::snapshot(&feed.store, user, id).await?.ok_or_else(expired)?;
    Ok((Snapshot { id: id.to_owned(), items }, offset))
}
