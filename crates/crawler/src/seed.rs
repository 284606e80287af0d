//! Cold start: sources from an OPML list, so that an empty instance has posts within a minute.
//! `crawler.seed_opml` creates them at start (the scheduler backfills them at once);
//! `riffle crawl seed FILE.opml` creates and backfills them from the command line, reporting
//! progress as it goes.

use std::sync::Arc;

use futures::StreamExt;
use platform::Runtime;
use url::Url;

use crate::{
    Crawler, CrawlerConfig, MIGRATIONS, NAME,
    domain::{opml, source_url},
    fetch::Validators,
    jobs,
    store::sources,
};

/// The feeds of an OPML document at `location`: a file's path, or an http(s) URL (fetched
/// through the SSRF guard like any feed).
async fn listed(crawler: &Crawler, location: &str) -> anyhow::Result<Vec<(Url, String)>> {
    let document = if location.starts_with("http://") || location.starts_with("https://") {
        let url = source_url::parse("crawler.seed_opml", location)?;
        let fetched = crawler.fetcher.get(&url, &Validators::default()).await?;
        String::from_utf8_lossy(&fetched.body.unwrap_or_default()).into_owned()
    } else {
        tokio::fs::read_to_string(location).await.map_err(|e| anyhow::anyhow!("cannot read {location}: {e}"))?
    };
    let mut feeds = Vec::new();
    for feed in opml::read(&document)? {
        match source_url::parse("xmlUrl", &feed.url) {
            Ok(url) => feeds.push((url, feed.title)),
            Err(err) => tracing::warn!(url = feed.url, error = %err, "seed list entry skipped"),
        }
    }
    Ok(feeds)
}

/// Creates the sources of the seed list that do not exist yet; returns how many it created.
pub(crate) async fn from_config(crawler: &Crawler, location: &str) -> anyhow::Result<usize> {
    let mut created = 0;
    for (url, title) in listed(crawler, location).await? {
        created += usize::from(crawler.add_unfetched(None, &url, &title).await?.1);
    }
    Ok(created)
}

/// What `riffle crawl seed` reports after each source.
#[derive(Debug)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub url: &'a str,
    /// Why its fetch failed, if it did.
    pub error: Option<&'a str>,
}

/// Creates and fetches every source of the list at `location` (`workers` at a time), calling
/// `report` after each. The events wait in the crawler's outbox until a process running the
/// crawler relays them (at once, with `riffle serve`).
pub async fn run(
    runtime: &Runtime,
    config: &CrawlerConfig,
    location: &str,
    report: impl Fn(Progress<'_>),
) -> anyhow::Result<(usize, usize)> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let crawler = Arc::new(Crawler::new(opened.writer.clone(), config, &runtime.config.public_url)?);
    let feeds = listed(&crawler, location).await?;
    let total = feeds.len();
    let mut fetches = futures::stream::iter(feeds)
        .map(|(url, title)| {
            let crawler = Arc::clone(&crawler);
            async move {
                let outcome = async {
                    let (source, _) = crawler.add_unfetched(None, &url, &title).await?;
                    if !sources::lease(&crawler.store, source.id, jobs::lease_ms(&crawler)).await? {
                        return Ok(None);
                    }
                    crawler.refresh(&source, false).await
                }
                .await;
                (url, outcome)
            }
        })
        .buffer_unordered(config.workers);
    let (mut done, mut failed) = (0, 0);
    while let Some((url, outcome)) = fetches.next().await {
        done += 1;
        let error = match outcome {
            Ok(None) => None,
            Ok(Some(error)) => Some(error),
            Err(err) => Some(err.to_string()),
        };
        failed += usize::from(error.is_some());
        report(Progress { done, total, url: url.as_str(), error: error.as_deref() });
    }
    opened.writer.db().close().await;
    Ok((done, failed))
}
