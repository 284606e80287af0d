//! The feed service: the streams people read. Home timelines (hybrid fan-out), the public
//! stream (waterfall), tag and user streams live in the timeline store; the posts themselves,
//! and what ranks the "for you" stream, in the service's own read model.
//!
//! # Layout
//! * `bulk`: bulk import into the read model, for the load generator's synthetic networks.
//! * `cache`: hydrated posts and per-reader facts kept in memory for the hot read paths.
//! * `for_you`: the ranked "for you" stream: candidates, the score, diversity, snapshots.
//! * `home`: home timelines: fan-out, and the rule of what a home timeline shows.
//! * `live`: server-sent event streams of new posts, resumable with `Last-Event-ID`.
//! * `read_model`: posts and authors kept from content's and identity's events; timelines fed.
//! * `streams`: reading a stream: the timeline store first, the database past its cap.
//! * `api`: HTTP handlers.
//!
//! **Invariant:** a read never calls another service: everything it shows is in the feed's own
//! database and timelines.

pub mod api;
pub mod bulk;
pub mod cache;
pub mod for_you;
pub mod home;
pub mod live;
pub mod read_model;
pub mod streams;

use std::{path::PathBuf, sync::Arc, time::Duration};

use platform::{Db, Mounted, Runtime, http::Probe};
use sqlx::migrate::Migrator;
use timeline::{TimelineStore, embedded::EmbeddedTimelines, redis_store::RedisTimelines};
use utoipa_axum::router::OpenApiRouter;

pub const NAME: &str = "feed";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything the feed's handlers share.
pub struct Feed {
    pub db: Db,
    pub timelines: Arc<dyn TimelineStore>,
    pub config: Arc<platform::Config>,
    /// New posts, as they enter timelines, for the live streams of this process.
    pub live: tokio::sync::broadcast::Sender<live::NewPost>,
    pub caches: cache::Caches,
}

pub fn routes() -> OpenApiRouter<Arc<Feed>> {
    api::routes()
}

pub async fn migrate(runtime: &Runtime) -> anyhow::Result<()> {
    runtime.open_database(NAME, &MIGRATIONS).await?.close().await;
    Ok(())
}

/// Opens the feed's database and timeline store: what [`mount`] serves, and what a bulk import
/// writes into before a server starts. The embedded store comes with the path it is saved to.
pub async fn open(runtime: &Runtime) -> anyhow::Result<(Arc<Feed>, Option<(EmbeddedTimelines, PathBuf)>)> {
    let db = runtime.open_database(NAME, &MIGRATIONS).await?;
    let mut embedded = None;
    let timelines: Arc<dyn TimelineStore> = if runtime.config.timelines.url.is_empty() {
        let path = runtime.config.data_dir.join("timelines.snapshot");
        let store = match EmbeddedTimelines::load(&path) {
            Ok(store) => store,
            Err((empty, err)) => {
                // Timelines are rebuilt from the database on demand, so starting empty loses nothing.
                tracing::error!(path = %path.display(), error = %err, "timeline snapshot unusable; starting empty");
                empty
            }
        };
        embedded = Some((store.clone(), path));
        Arc::new(store)
    } else {
        let store = RedisTimelines::connect(&runtime.config.timelines.url, &runtime.config.timelines.key_prefix)
            .await
            .map_err(|e| anyhow::anyhow!("timelines.url: {e}"))?;
        Arc::new(store)
    };
    let feed = Feed {
        db,
        timelines,
        config: Arc::clone(&runtime.config),
        live: tokio::sync::broadcast::channel(4096).0,
        caches: cache::Caches::new(&runtime.config),
    };
    Ok((Arc::new(feed), embedded))
}

pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let (feed, embedded) = open(runtime).await?;
    let mut background = Vec::new();
    if let Some((store, path)) = embedded {
        background.push(platform::service::task(snapshot(store, path, runtime.shutdown.clone())));
    }
    let timelines = Arc::clone(&feed.timelines);
    let store_probe = Probe::new("feed.timelines", move || {
        let timelines = Arc::clone(&timelines);
        async move { timelines.ping().await.map_err(|e| e.to_string()) }
    });
    Ok(Mounted {
        name: NAME,
        routes: routes().with_state(Arc::clone(&feed)),
        probes: vec![Runtime::database_probe(&feed.db), store_probe],
        subscriptions: vec![read_model::subscription(Arc::clone(&feed))],
        relay: None,
        background,
        database: Some(feed.db.clone()),
    })
}

/// Saves the embedded timelines every minute and once more on shutdown.
async fn snapshot(store: EmbeddedTimelines, path: PathBuf, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        let stopping = tokio::select! {
            () = shutdown.cancelled() => true,
            () = tokio::time::sleep(Duration::from_secs(60)) => false,
        };
        let (store, target) = (store.clone(), path.clone());
        match tokio::task::spawn_blocking(move || store.save(&target)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::warn!(error = %err, "timeline snapshot failed"),
            Err(err) => tracing::warn!(error = %err, "timeline snapshot task failed"),
        }
        if stopping {
            return;
        }
    }
}
