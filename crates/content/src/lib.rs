//! The content service: posts, threads, reactions, moderation and media.
//!
//! # Layout
//! * `text`: length rules and entity extraction (hashtags, mentions, links; Chinese too).
//! * `views`: how posts are stored and shown; `Visibility`.
//! * `posts`: every change to posts, each one transaction with its event.
//! * `idempotency`: `Idempotency-Key` for creates.
//! * `media`: streamed, sniffed, content-addressed uploads in the blob store.
//! * `thumbnails`: image thumbnails, made in the background.
//! * `moderation_log`: the audit trail of moderator actions.
//! * `read_models`: users and follows, kept from identity's and graph's events.
//! * `api`: HTTP handlers, one module per resource.
//!
//! **Invariant:** content never reads another service's tables; what it knows about users and
//! follows comes from their events.

pub mod api;
pub mod idempotency;
pub mod media;
pub mod moderation_log;
pub mod posts;
pub mod read_models;
pub mod text;
pub mod thumbnails;
pub mod views;

use std::sync::Arc;

use platform::{Db, Mounted, Runtime, events::outbox::RelayHandle};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

pub const NAME: &str = "content";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything content's handlers share.
pub struct Content {
    pub db: Db,
    /// Resumable uploads being written right now (one writer per upload).
    pub busy_uploads: BusyUploads,
    /// Wakes the thumbnail maker after an image upload.
    pub thumbnails_wanted: tokio::sync::Notify,
    pub blobs: platform::blobs::BlobStore,
    pub relay: RelayHandle,
    pub config: Arc<platform::Config>,
}

/// The routes and their OpenAPI description, without state.
pub fn routes() -> OpenApiRouter<Arc<Content>> {
    api::routes()
}

pub async fn migrate(runtime: &Runtime) -> anyhow::Result<()> {
    runtime.open_database(NAME, &MIGRATIONS).await?.close().await;
    Ok(())
}

pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let db = runtime.open_database(NAME, &MIGRATIONS).await?;
    let blobs = platform::blobs::BlobStore::open(&runtime.config.media, &runtime.config.data_dir)?;
    let relay = runtime.relay(NAME, &db);
    let content = Arc::new(Content {
        db: db.clone(),
        busy_uploads: BusyUploads::default(),
        thumbnails_wanted: tokio::sync::Notify::new(),
        blobs: blobs.clone(),
        relay: relay.handle(),
        config: Arc::clone(&runtime.config),
    });
    let blob_probe = platform::http::Probe::new(blobs.label(), move || {
        let blobs = blobs.clone();
        async move { blobs.ping().await }
    });
    Ok(Mounted {
        name: NAME,
        routes: routes().with_state(Arc::clone(&content)),
        probes: vec![Runtime::database_probe(&db), blob_probe],
        subscriptions: vec![read_models::subscription(&db, relay.handle())],
        relay: Some(relay),
        background: vec![
            platform::service::task(thumbnails::run(Arc::clone(&content), runtime.shutdown.clone())),
            platform::service::task(collect_media(content, runtime.shutdown.clone())),
        ],
        database: Some(db),
    })
}

/// Deletes uploads never attached to a post, and abandoned resumable uploads, older than
/// `media.unattached_ttl_secs`: once at start, then hourly.
async fn collect_media(content: Arc<Content>, shutdown: tokio_util::sync::CancellationToken) {
    let ttl_ms = content.config.media.unattached_ttl_secs as i64 * 1000;
    loop {
        if let Err(err) = collect_abandoned_uploads(&content, ttl_ms).await {
            tracing::warn!(error = format!("{err:#}"), "collecting abandoned uploads failed; will retry");
        }
        match media::collect_unattached(&content, ttl_ms).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(collected = n, "unattached media collected"),
            Err(err) => tracing::warn!(error = format!("{err:#}"), "media collection failed; will retry"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
        }
    }
}

/// Upload ids with a `PATCH` in progress.
#[derive(Debug, Default)]
pub struct BusyUploads(std::sync::Mutex<std::collections::HashSet<String>>);

/// Releases an upload when its `PATCH` ends, however it ends.
pub struct UploadClaim<'a> {
    busy: &'a BusyUploads,
    id: String,
}

impl BusyUploads {
    /// `None` when another request is writing `id`.
    pub fn claim(&self, id: &str) -> Option<UploadClaim<'_>> {
        let fresh = self.0.lock().expect("not poisoned").insert(id.to_owned());
        fresh.then(|| UploadClaim { busy: self, id: id.to_owned() })
    }
}

impl Drop for UploadClaim<'_> {
    fn drop(&mut self) {
        self.busy.0.lock().expect("not poisoned").remove(&self.id);
    }
}

/// Resumable uploads left unfinished for longer than `older_than_ms` are deleted.
async fn collect_abandoned_uploads(content: &Content, older_than_ms: i64) -> anyhow::Result<()> {
    use sqlx::Row;
    let cutoff = platform::db::now_ms() - older_than_ms;
    let rows = sqlx::query("SELECT id FROM uploads WHERE created_at_ms < $1 LIMIT 1000")
        .bind(cutoff)
        .fetch_all(content.db.reader())
        .await?;
    for row in rows {
        let id: String = row.try_get("id")?;
        let _ = tokio::fs::remove_file(content.config.data_dir.join("uploads").join(&id)).await;
        sqlx::query("DELETE FROM uploads WHERE id = $1").bind(&id).execute(content.db.writer()).await?;
    }
    Ok(())
}
