//! The search service: posts found in Chinese and English alike, within a second of their
//! creation, by whoever may see them.
//!
//! # Layout
//! * `domain`: the analyzer (script runs, jieba's dictionary with a bigram fallback, English
//!   stemming and folding) and the query language. Pure.
//! * `index`: the tantivy index of posts (in the data directory), and a parsed query made into
//!   tantivy's.
//! * `store`: search's own tables (usernames, active accounts, follows, blocks) and a viewer's
//!   audience read from them.
//! * `ingest`: content's posts (the index), identity's accounts and graph's edges (the tables).
//! * `api`: `GET /api/v1/search`.
//!
//! Dependencies point down: `api`, `ingest` → `index`, `store` → `domain`.

mod api;
pub mod domain;
pub mod index;
mod ingest;
mod store;

use std::{sync::Arc, time::Duration};

use contracts::{EventFamily, identity::IdentityEvent};
use platform::{Mounted, Runtime, Writer, ingest::handler};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

use crate::index::PostIndex;

pub const NAME: &str = "search";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// How long written posts wait to be made searchable together: well within the second a new
/// post has to be found in.
const COMMIT_EVERY: Duration = Duration::from_millis(200);

/// What search's handlers share.
struct Search {
    writer: Writer,
    index: Arc<PostIndex>,
}

/// The OpenAPI description of search's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let writer = opened.writer.clone();
    let db = opened.db().clone();
    let dir = runtime.config.data_dir.join("search").join("posts");
    let index = Arc::new(tokio::task::spawn_blocking(move || PostIndex::open(&dir)).await??);
    tokio::task::spawn_blocking(domain::analyzer::warm_up).await?;
    let dirty = Arc::new(tokio::sync::Notify::new());
    let posts = ingest::content::Posts { writer: writer.clone(), index: Arc::clone(&index), dirty: Arc::clone(&dirty) };
    let search = Arc::new(Search { writer: writer.clone(), index: Arc::clone(&index) });
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(search),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![
            platform::service::subscription(
                ingest::content::CONSUMER,
                &[contracts::content::POSTS],
                handler(ingest::content::CONSUMER, posts),
                &db,
            ),
            platform::service::subscription(
                ingest::identity::CONSUMER,
                &[IdentityEvent::TOPICS],
                handler(ingest::identity::CONSUMER, ingest::identity::Users(writer.clone())),
                &db,
            ),
            platform::service::subscription(
                ingest::graph::CONSUMER,
                ingest::graph::TOPICS,
                handler(ingest::graph::CONSUMER, ingest::graph::Edges(writer)),
                &db,
            ),
        ],
        relay: Some(opened.relay),
        background: vec![platform::service::task(commit(index, dirty, runtime.shutdown.clone()))],
        database: Some(db),
    })
}

/// Makes what the consumers wrote searchable, at most every [`COMMIT_EVERY`], and once more at
/// shutdown.
async fn commit(index: Arc<PostIndex>, dirty: Arc<tokio::sync::Notify>, shutdown: CancellationToken) {
    loop {
        let stopping = tokio::select! {
            () = shutdown.cancelled() => true,
            () = dirty.notified() => false,
        };
        if !stopping {
            tokio::time::sleep(COMMIT_EVERY).await;
        }
        let index = Arc::clone(&index);
        match tokio::task::spawn_blocking(move || index.commit()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = format!("{err:#}"), "cannot commit the search index"),
            Err(err) => tracing::error!(error = %err, "the search index commit panicked"),
        }
        if stopping {
            break;
        }
    }
}
