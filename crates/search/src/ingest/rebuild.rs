//! Rebuilding the indexes. Posts come from content's API (`GET /api/v1/admin/posts`, page by
//! page, with the deployment's internal token) into a new index that replaces the served one
//! when complete (see [`crate::index::LivePosts`]); people come from search's own tables.
//!
//! A rebuild runs when an index had to start empty (a new replica, a damaged index, a new
//! schema) and when an admin asks (`riffle search reindex`). One that cannot reach content at
//! start tries again, ever more slowly; one an admin asked for reports its failure.

use std::{sync::Arc, time::Duration};

use contracts::content::PostSummary;
use platform::Writer;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::{Indexes, ingest::content::doc, store};

/// Where a rebuild reads posts, and as whom.
#[derive(Clone)]
pub struct Source {
    pub client: reqwest::Client,
    /// `search.content_url`, or (empty) this process's own server once it listens.
    pub content_url: String,
    pub local_addr: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
    pub token: String,
    pub batch: u32,
}

impl Source {
    fn base(&self) -> anyhow::Result<String> {
        if !self.content_url.is_empty() {
            return Ok(self.content_url.trim_end_matches('/').to_owned());
        }
        let addr = self.local_addr.get().ok_or_else(|| anyhow::anyhow!("the server does not listen yet"))?;
        let ip = if addr.ip().is_unspecified() {
            if addr.is_ipv4() { std::net::Ipv4Addr::LOCALHOST.into() } else { std::net::Ipv6Addr::LOCALHOST.into() }
        } else {
            addr.ip()
        };
        Ok(format!("http://{}", std::net::SocketAddr::new(ip, addr.port())))
    }

    async fn page(&self, cursor: Option<&str>) -> anyhow::Result<Page> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/admin/posts", self.base()?))?;
        url.query_pairs_mut().append_pair("limit", &self.batch.to_string());
        if let Some(cursor) = cursor {
            url.query_pairs_mut().append_pair("cursor", cursor);
        }
        let response = self.client.get(url.clone()).bearer_auth(&self.token).send().await?;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            anyhow::bail!("{url} answered {status}: {}", body.chars().take(300).collect::<String>());
        }
        Ok(response.json().await?)
    }
}

#[derive(Debug, Deserialize)]
struct Page {
    items: Vec<PostSummary>,
    next_cursor: Option<String>,
    total: Option<u64>,
}

/// What the last (or the running) rebuild of posts did.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Progress {
    pub state: State,
    /// Posts read from content so far.
    pub posts: u64,
    /// Live posts content had when the rebuild began.
    pub total: Option<u64>,
    /// Why the last rebuild failed.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// None has run since the service started.
    #[default]
    Idle,
    Running,
    Done,
    Failed,
}

/// Starts a rebuild of the posts index; `false` when one is running already.
pub fn begin(indexes: &Indexes) -> anyhow::Result<bool> {
    if !indexes.posts.begin()? {
        return Ok(false);
    }
    indexes.set_progress(Progress { state: State::Running, ..Progress::default() });
    Ok(true)
}

/// Fills the rebuild [`begin`] started from content, and serves it; if this fails, the
/// served index stays as it is.
pub async fn run(indexes: &Indexes, source: &Source) -> anyhow::Result<()> {
    match fill(indexes, source).await.and_then(|()| indexes.posts.finish()) {
        Ok(()) => {
            indexes.update_progress(|p| p.state = State::Done);
            indexes.dirty.notify_one();
            tracing::info!(posts = indexes.progress().posts, "search index rebuilt from content");
            Ok(())
        }
        Err(err) => {
            indexes.posts.abandon();
            indexes.update_progress(|p| {
                p.state = State::Failed;
                p.error = Some(format!("{err:#}"));
            });
            Err(err)
        }
    }
}

async fn fill(indexes: &Indexes, source: &Source) -> anyhow::Result<()> {
    let mut cursor: Option<String> = None;
    loop {
        let page = source.page(cursor.as_deref()).await?;
        let docs: Vec<_> = page.items.iter().filter(|p| p.repost_of_id.is_none()).map(doc).collect();
        indexes.posts.fill(&docs)?;
        indexes.update_progress(|p| {
            p.posts += page.items.len() as u64;
            p.total = p.total.or(page.total);
        });
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(()),
        }
    }
}

/// The rebuild of an index that started empty: tried at once (once the server listens), then
/// after 1 s, then twice as long after each failure, at most a minute.
pub async fn posts_until_done(indexes: Arc<Indexes>, source: Source, shutdown: CancellationToken) {
    let mut pause = Duration::from_secs(1);
    for _ in 0..100 {
        if source.base().is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    loop {
        let rebuilt = match begin(&indexes) {
            // An admin's rebuild is running: it fills the index.
            Ok(false) => return,
            Ok(true) => run(&indexes, &source).await,
            Err(err) => Err(err),
        };
        match rebuilt {
            Ok(()) => return,
            Err(err) => {
                tracing::warn!(error = format!("{err:#}"), retry_in = ?pause, "cannot rebuild the search index yet");
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(60));
    }
}

/// Fills the people index from search's own tables.
pub async fn people(indexes: &Indexes, writer: &Writer) -> anyhow::Result<u64> {
    let (mut after, mut count) = (String::new(), 0);
    loop {
        let page = store::people_page(writer, &after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        for person in &page {
            indexes.people.upsert(person)?;
        }
        count += page.len() as u64;
    }
    indexes.people.commit()?;
    Ok(count)
}
