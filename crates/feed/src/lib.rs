//! The feed service: the streams people read. Home timelines (hybrid fan-out), the public
//! stream (waterfall), tag and user streams live in the timeline store; the posts themselves,
//! and what ranks the "for you" stream, in the service's own read model.
//!
//! # Layout
//! * `config`: the `[timelines]` section.
//! * `domain`: the timelines (keys and caps), the feed's own row of a post, the home rule (in
//!   Rust and in SQL, side by side), the "for you" score; the service's error. Pure.
//! * `store`: the only SQL, one module per table family.
//! * `cache`: what the hot read paths keep in memory.
//! * `view`: the posts as streams serve them.
//! * `syndication`: a page of a stream as Atom, RSS or JSON Feed (feeds out).
//! * `fanout`: the write path of the timelines.
//! * `streams`: the read path, one module per stream (home, listed, for you, live).
//! * `ingest`: content's, graph's and identity's events, one consumer each.
//! * `api`: HTTP handlers and the one mapping of errors to answers.
//! * `bulk`: loading a synthetic network before a server starts (the load generator).
//!
//! Dependencies point down: `api` → `streams`, `syndication`; `ingest` and `bulk` → `fanout`; all of them →
//! `store`, `cache`, `view` → `domain`. Nothing below calls anything above.
//!
//! **Invariant:** a read never calls another service: everything it shows is in the feed's own
//! database and timelines.

mod api;
pub mod bulk;
mod cache;
pub mod config;
mod domain;
mod fanout;
mod ingest;
mod store;
mod streams;
mod syndication;
mod view;

use std::{path::PathBuf, sync::Arc, time::Duration};

use contracts::{EventFamily, content::ContentEvent, graph::GraphEvent, identity::IdentityEvent};
use platform::{Mounted, Runtime, http::Probe};
use sqlx::migrate::Migrator;
use timeline::{TimelineStore, embedded::EmbeddedTimelines, redis_store::RedisTimelines};

pub use crate::config::TimelinesConfig;
use crate::{store::Store, streams::live::Live};

pub const NAME: &str = "feed";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything the feed's handlers and consumers share.
struct Feed {
    store: Store,
    timelines: Arc<dyn TimelineStore>,
    config: TimelinesConfig,
    /// New posts as they enter timelines, and graph changes, for the live streams of this process.
    live: tokio::sync::broadcast::Sender<Live>,
    /// The open live streams, counted against their limits.
    admission: Arc<platform::http::admission::Admission>,
    /// Ends live streams whose token stops being good.
    verifier: Arc<platform::http::TokenVerifier>,
    shutdown: tokio_util::sync::CancellationToken,
    caches: cache::Caches,
    /// The deployment's public address (`public_url`), for the links feeds out carry.
    public_url: url::Url,
    /// After an unclean stop of the embedded store: the timelines read since the start. Until
    /// its first read, a timeline holds only what the consumers pushed since the start, which,
    /// with authors handled side by side, may leave a gap below newer posts; that read merges
    /// in the database's newest (`streams::page`).
    read_since_crash: Option<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Feed {
    /// Whether this is the first read of `timeline` since an unclean start.
    fn first_read_since_crash(&self, timeline: &timeline::TimelineKey) -> bool {
        self.read_since_crash.as_ref().is_some_and(|read| {
            let mut read = read.lock().expect("not poisoned");
            // Checked first: every later read of the timeline passes here too, and should not
            // pay for a copy of its key.
            !read.contains(timeline.as_str()) && read.insert(timeline.as_str().to_owned())
        })
    }
}

/// The OpenAPI description of the feed's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

/// Opens the feed's database and timeline store. The embedded store comes with the path it is
/// saved to.
async fn open(
    runtime: &Runtime,
    config: &TimelinesConfig,
) -> anyhow::Result<(Arc<Feed>, Option<(EmbeddedTimelines, PathBuf)>)> {
    let store = store::over(runtime.open_database(NAME, &MIGRATIONS).await?);
    let moved = store::posts::move_legacy_summaries(&store).await?;
    if moved > 0 {
        tracing::info!(posts = moved, "feed rows moved from content's payloads into the feed's own columns");
    }
    let mut embedded = None;
    let mut crashed = false;
    let timelines: Arc<dyn TimelineStore> = if config.url.is_empty() {
        let path = runtime.config.data_dir.join("timelines.snapshot");
        // The snapshot is written on a clean stop only. Found while the marker of a running
        // process is still there, it is older than what the process did before it died: start
        // empty instead (timelines are rebuilt from the database on demand, so that loses nothing
        // but warmth), never from a snapshot that misses posts.
        let running = running_marker(&path);
        let unclean = running.exists();
        std::fs::create_dir_all(&runtime.config.data_dir)?;
        std::fs::write(&running, std::process::id().to_string())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", running.display()))?;
        crashed = unclean;
        let store = if unclean {
            tracing::warn!("the last process stopped uncleanly; timelines start empty and are rebuilt on demand");
            EmbeddedTimelines::new()
        } else {
            match EmbeddedTimelines::load(&path) {
                Ok(store) => store,
                Err((empty, err)) => {
                    tracing::error!(path = %path.display(), error = %err, "timeline snapshot unusable; starting empty");
                    empty
                }
            }
        };
        embedded = Some((store.clone(), path));
        Arc::new(store)
    } else {
        let store = RedisTimelines::connect(&config.url, &config.key_prefix)
            .await
            .map_err(|e| anyhow::anyhow!("timelines.url: {e}"))?;
        Arc::new(store)
    };
    let feed = Feed {
        store,
        timelines,
        config: config.clone(),
        live: tokio::sync::broadcast::channel(4096).0,
        admission: platform::http::admission::Admission::new(platform::http::admission::Limits {
            per_user: config.streams_per_user,
            per_address: config.streams_per_address,
            total: config.streams_total,
        }),
        verifier: Arc::clone(&runtime.verifier),
        shutdown: runtime.shutdown.clone(),
        caches: cache::Caches::new(
            config,
            matches!(runtime.config.events_location(), Ok(platform::config::EventsLocation::InProcess)),
        ),
        public_url: url::Url::parse(&runtime.config.public_url)
            .map_err(|e| anyhow::anyhow!("public_url `{}`: {e}", runtime.config.public_url))?,
        read_since_crash: crashed.then(Default::default),
    };
    Ok((Arc::new(feed), embedded))
}

pub async fn mount(runtime: &Runtime, config: &TimelinesConfig) -> anyhow::Result<Mounted> {
    let (feed, embedded) = open(runtime, config).await?;
    let mut background = vec![
        platform::service::task(housekeeping(Arc::clone(&feed), runtime.shutdown.clone())),
        platform::service::task(refresh_recent(Arc::clone(&feed), runtime.shutdown.clone())),
    ];
    if let Some((store, path)) = embedded {
        background.push(platform::service::task(snapshot(
            store,
            path,
            Arc::clone(&runtime.bus),
            runtime.shutdown.clone(),
        )));
    }
    let timelines = Arc::clone(&feed.timelines);
    let store_probe = Probe::new("feed.timelines", move || {
        let timelines = Arc::clone(&timelines);
        async move { timelines.ping().await.map_err(|e| e.to_string()) }
    });
    let db = feed.store.db().clone();
    let lanes = runtime.config.events.consumer_lanes;
    use platform::{ingest::handler, service::subscription};
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(Arc::clone(&feed)),
        probes: vec![Runtime::database_probe(&db), store_probe],
        subscriptions: vec![
            // Every post passes through here: authors side by side, each one's events in order.
            subscription(
                ingest::content::CONSUMER,
                &[ContentEvent::TOPICS],
                handler(ingest::content::CONSUMER, ingest::content::Posts(Arc::clone(&feed))),
                &db,
            )
            .in_lanes(lanes, |event| ContentEvent::author_in(&event.topic, &event.payload)),
            subscription(
                ingest::graph::CONSUMER,
                &[GraphEvent::TOPICS],
                handler(ingest::graph::CONSUMER, ingest::graph::Edges(Arc::clone(&feed))),
                &db,
            ),
            subscription(
                ingest::identity::CONSUMER,
                &[IdentityEvent::TOPICS],
                handler(ingest::identity::CONSUMER, ingest::identity::Authors(feed)),
                &db,
            ),
        ],
        relay: None,
        background,
        database: Some(db),
    })
}

/// Drops the timelines of tags nobody follows and nothing posted to for `timelines.tag_idle_days`,
/// in rounds until none is left, and "for you" snapshots past their cursors' life: at start,
/// then hourly.
/// Reads the newest posts of every pulled account that home reads here need, all at once, every
/// [`cache::RECENT_FRESH_FOR`] (see [`cache::RecentPosts`]).
async fn refresh_recent(feed: Arc<Feed>, shutdown: tokio_util::sync::CancellationToken) {
    let mut every = tokio::time::interval(cache::RECENT_FRESH_FOR);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => {}
        }
        let authors = feed.caches.recent.in_use();
        for chunk in authors.chunks(500) {
            let keys: Vec<_> = chunk.iter().map(|a| domain::timelines::Timeline::Posts(*a).key()).collect();
            let fetched_at = std::time::Instant::now();
            match feed.timelines.page_many(&keys, None, streams::home::RECENT).await {
                Ok(pages) => {
                    for (author, page) in chunk.iter().zip(pages) {
                        feed.caches.recent.refreshed(*author, Arc::new(page), fetched_at);
                    }
                }
                // Entries stop being served once too old; reads then fetch what they need.
                Err(err) => tracing::warn!(error = format!("{err:#}"), "cannot refresh pulled accounts' posts"),
            }
        }
    }
}

async fn housekeeping(feed: Arc<Feed>, shutdown: tokio_util::sync::CancellationToken) {
    const ROUND: usize = 1000;
    loop {
        let cutoff = platform::db::now_ms() - feed.config.tag_idle_days as i64 * 86_400_000;
        let expired = async {
            let mut dropped = 0;
            loop {
                let idle = store::tags::idle(&feed.store, cutoff, ROUND).await?;
                for tag in &idle {
                    feed.timelines.drop_timeline(&domain::timelines::Timeline::Tag(tag.clone()).key()).await?;
                    store::tags::dropped(&feed.store, tag, cutoff).await?;
                }
                dropped += idle.len();
                if idle.len() < ROUND {
                    return Ok::<_, domain::FeedError>(dropped);
                }
            }
        };
        match expired.await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tags = n, "idle tag timelines dropped"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "tag timeline housekeeping failed; will retry"),
        }
        if let Err(err) = store::for_you::expire_snapshots(&feed.store).await {
            tracing::warn!(error = format!("{err:#}"), "expiring for-you snapshots failed; will retry");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// The file that says a process has the embedded timelines open: there from start to the final
/// snapshot of a clean stop.
fn running_marker(snapshot: &std::path::Path) -> PathBuf {
    snapshot.with_extension("running")
}

/// Saves the embedded timelines when the process stops cleanly, once no consumer can change
/// them any more, then removes the running marker, so that the next start may trust the
/// snapshot.
async fn snapshot(
    store: EmbeddedTimelines,
    path: PathBuf,
    bus: Arc<dyn platform::events::EventBus>,
    shutdown: tokio_util::sync::CancellationToken,
) {
    shutdown.cancelled().await;
    bus.consumers_stopped().await;
    let target = path.clone();
    match tokio::task::spawn_blocking(move || store.save(&target)).await {
        Ok(Ok(())) => {
            if let Err(err) = std::fs::remove_file(running_marker(&path)) {
                tracing::warn!(error = %err, "cannot remove the timelines' running marker");
            }
        }
        Ok(Err(err)) => tracing::warn!(error = %err, "timeline snapshot failed; the next start rebuilds"),
        Err(err) => tracing::warn!(error = %err, "timeline snapshot task failed; the next start rebuilds"),
    }
}
