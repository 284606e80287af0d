//! The content service: posts, threads, reactions, moderation and media.
//!
//! # Layout
//! * `config`: the `[content]` and `[media]` sections.
//! * `domain`: posts (their text's entities come from the `text` crate), who may see a post,
//!   media types and limits, reports; the service's error. Pure.
//! * `store`: the only SQL, one module per table family, and the media bytes; every change one
//!   transaction with its events (and the moderation log).
//! * `ingest`: identity's users and graph's follows, kept from their events; a deleted user's
//!   posts and likes are removed here, by the service that owns them; the crawler's entries
//!   become the posts of their sources.
//! * `jobs`: thumbnails, collection of unattached media, the post id node lease.
//! * `api`: HTTP handlers, one module per resource, and the one mapping of errors to answers.
//!
//! Dependencies point down: `api`, `ingest` and `jobs` → `store` → `domain`.
//!
//! **Invariant:** content never reads another service's tables; what it knows about users and
//! follows comes from their events.

mod api;
pub mod config;
mod domain;
mod ingest;
mod jobs;
mod store;

use std::{path::PathBuf, sync::Arc};

use contracts::{EventFamily, PostIdGenerator, identity::IdentityEvent};
use platform::{Mounted, Runtime, blobs::BlobStore, ingest::handler};
use sqlx::migrate::Migrator;

pub use crate::config::{ContentConfig, MediaConfig};
use crate::store::{Store, nodes};

pub const NAME: &str = "content";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything content's handlers share.
struct Content {
    store: Store,
    blobs: BlobStore,
    posts: ContentConfig,
    media: MediaConfig,
    data_dir: PathBuf,
    /// Resumable uploads being written right now (one writer per upload).
    busy_uploads: BusyUploads,
    /// Wakes the thumbnail maker after an image upload.
    thumbnails_wanted: tokio::sync::Notify,
}

impl Content {
    /// Where the bytes of resumable upload `id` are received.
    fn upload_path(&self, id: &str) -> PathBuf {
        self.data_dir.join("uploads").join(id)
    }
}

/// The OpenAPI description of content's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime, posts: &ContentConfig, media: &MediaConfig) -> anyhow::Result<Mounted> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let db = opened.db().clone();
    let blobs = BlobStore::open(&media.url, media.credentials(), &runtime.config.data_dir)?;
    let holder = uuid::Uuid::now_v7().to_string();
    let ids = Arc::new(PostIdGenerator::new(0));
    let store = Store::new(opened.writer.clone(), Arc::clone(&ids));
    let node = match posts.node_id {
        Some(node) => node,
        None => nodes::lease(&store, &holder).await?,
    };
    ids.set_node(node);
    tracing::info!(node, leased = posts.node_id.is_none(), "post ids carry this node number");
    let content = Arc::new(Content {
        store: store.clone(),
        blobs: blobs.clone(),
        posts: posts.clone(),
        media: media.clone(),
        data_dir: runtime.config.data_dir.clone(),
        busy_uploads: BusyUploads::default(),
        thumbnails_wanted: tokio::sync::Notify::new(),
    });
    let blob_probe = platform::http::Probe::new(blobs.label(), move || {
        let blobs = blobs.clone();
        async move { blobs.ping().await }
    });
    let mut background = vec![
        platform::service::task(jobs::thumbnails::run(Arc::clone(&content), runtime.shutdown.clone())),
        platform::service::task(jobs::collect_media(Arc::clone(&content), runtime.shutdown.clone())),
    ];
    if posts.node_id.is_none() {
        background.push(platform::service::task(jobs::keep_node(
            Arc::clone(&content),
            holder,
            runtime.shutdown.clone(),
        )));
    }
    let avatar_blobs = content.blobs.clone();
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(content),
        probes: vec![Runtime::database_probe(&db), blob_probe],
        subscriptions: vec![
            platform::service::subscription(
                ingest::identity::CONSUMER,
                &[IdentityEvent::TOPICS],
                handler(ingest::identity::CONSUMER, ingest::identity::Users(store.clone())),
                &db,
            ),
            platform::service::subscription(
                ingest::graph::CONSUMER,
                ingest::graph::TOPICS,
                handler(ingest::graph::CONSUMER, ingest::graph::Edges(store.clone())),
                &db,
            ),
            platform::service::subscription(
                ingest::crawler::CONSUMER,
                ingest::crawler::TOPICS,
                handler(
                    ingest::crawler::CONSUMER,
                    ingest::crawler::Entries {
                        store,
                        limits: posts.clone(),
                        blobs: avatar_blobs,
                        media: media.clone(),
                        data_dir: runtime.config.data_dir.clone(),
                    },
                ),
                &db,
            ),
        ],
        relay: Some(opened.relay),
        background,
        database: Some(db),
    })
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
