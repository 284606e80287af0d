//! Content's background work: thumbnails, the collection of unattached media and abandoned
//! uploads (and of blob claims and idempotency keys past their time), and the lease of this
//! process's post id node number.

pub mod thumbnails;

use std::{sync::Arc, time::Duration};

use tokio_util::sync::CancellationToken;

use crate::{
    Content,
    store::{blob_claims, idempotency, media, nodes, uploads},
};

/// Items a collection handles per round; rounds go on until one comes back short, so a flood
/// faster than an hour's worth is cleared in the same run.
pub const BATCH: usize = 1000;

/// Deletes uploads never attached to a post, and abandoned resumable uploads, older than
/// `media.unattached_ttl_secs`: once at start, then hourly.
pub async fn collect_media(content: Arc<Content>, shutdown: CancellationToken) {
    let ttl_ms = content.media.unattached_ttl_secs as i64 * 1000;
    loop {
        match until_done(|| collect_abandoned_uploads(&content, ttl_ms)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(collected = n, "abandoned uploads collected"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "collecting abandoned uploads failed; will retry"),
        }
        let unattached =
            || async { Ok(media::collect_unattached(&content.store, &content.blobs, ttl_ms, BATCH).await?) };
        match until_done(unattached).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(collected = n, "unattached media collected"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "media collection failed; will retry"),
        }
        if let Err(err) = blob_claims::expire(content.store.db()).await {
            tracing::warn!(error = format!("{err:#}"), "expiring blob claims failed; will retry");
        }
        if let Err(err) = idempotency::expire(&content.store).await {
            tracing::warn!(error = format!("{err:#}"), "expiring idempotency keys failed; will retry");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// Runs `round` (which handles at most [`BATCH`] items) until a round handles fewer; returns
/// how many were handled in all.
pub async fn until_done<F, Fut>(mut round: F) -> anyhow::Result<usize>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut total = 0;
    loop {
        let handled = round().await?;
        total += handled;
        if handled < BATCH {
            return Ok(total);
        }
    }
}

/// Resumable uploads left unfinished for longer than `older_than_ms` are deleted, up to
/// [`BATCH`]; returns how many.
async fn collect_abandoned_uploads(content: &Content, older_than_ms: i64) -> anyhow::Result<usize> {
    let cutoff = platform::db::now_ms() - older_than_ms;
    let ids = uploads::started_before(&content.store, cutoff, BATCH as i64).await?;
    for id in &ids {
        let _ = tokio::fs::remove_file(content.upload_path(id)).await;
        uploads::delete(&content.store, id).await?;
    }
    Ok(ids.len())
}

/// Renews this process's lease of its post id node number until shutdown, then gives it up. A
/// lease found taken (this process was stalled past it) is replaced by a new one.
pub async fn keep_node(content: Arc<Content>, holder: String, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(Duration::from_millis(nodes::RENEW_EVERY_MS)) => {}
        }
        let node = content.store.ids().node();
        match nodes::renew(&content.store, node, &holder).await {
            Ok(true) => {}
            Ok(false) => match nodes::lease(&content.store, &holder).await {
                Ok(new) => {
                    tracing::error!(old = node, new, "post id node lease was lost; took another");
                    content.store.ids().set_node(new);
                }
                Err(err) => tracing::error!(error = format!("{err:#}"), "post id node lease lost and none free"),
            },
            Err(err) => tracing::warn!(error = format!("{err:#}"), "cannot renew the post id node lease; will retry"),
        }
    }
    let _ = nodes::release(&content.store, content.store.ids().node(), &holder).await;
}
