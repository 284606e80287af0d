//! The search service: posts, people and tags, found in Chinese and English alike within a
//! second of a change, by whoever may see them.
//!
//! # Layout
//! * `domain`: the analyzer (script runs, jieba's dictionary with a bigram fallback, English
//!   stemming and folding), the query language and the freshness boost. Pure.
//! * `index`: the tantivy indexes of posts (served and rebuilt beside, see `index::live`) and
//!   of people, in the data directory.
//! * `store`: search's own tables (people, follows, blocks) and a viewer's audience.
//! * `ingest`: content's posts, identity's accounts and graph's edges; the rebuilds.
//! * `api`: `GET /api/v1/search`, `GET /api/v1/search/complete`, the admins' rebuild;
//!   `remote`, the command line's side of it.
//!
//! Dependencies point down: `api`, `ingest` → `index`, `store` → `domain`.
//!
//! # Replicas
//! Each replica keeps its own indexes (its data directory) and tables (its database: SQLite
//! in the data directory unless told otherwise), from its own durable consumers, named after
//! `search.replica`. A new replica starts empty, rebuilds its posts from content's API and
//! follows the stream from then on.

mod api;
pub mod config;
pub mod domain;
pub mod index;
mod ingest;
pub mod remote;
mod store;
pub mod synthetic;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use contracts::{EventFamily, identity::IdentityEvent};
use platform::{Mounted, Runtime, Writer, ingest::handler};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

pub use config::SearchConfig;

use crate::{
    index::{LivePosts, Opened, PeopleIndex},
    ingest::rebuild,
    store::PersonChange,
};

pub const NAME: &str = "search";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// How long written changes wait to be made searchable together: well within the second a new
/// post has to be found in.
const COMMIT_EVERY: Duration = Duration::from_millis(200);

/// The indexes, what the committer must make searchable, and the last rebuild's progress.
pub(crate) struct Indexes {
    posts: LivePosts,
    people: PeopleIndex,
    dirty: tokio::sync::Notify,
    progress: Mutex<rebuild::Progress>,
}

impl Indexes {
    /// Writes what a consumer's change made of a person.
    fn person(&self, change: PersonChange) {
        let written = match change {
            PersonChange::Upsert(person) => self.people.upsert(&person),
            PersonChange::Remove(id) => {
                self.people.remove(&id);
                Ok(())
            }
            PersonChange::Nothing => return,
        };
        match written {
            Ok(()) => self.dirty.notify_one(),
            Err(err) => tracing::error!(error = format!("{err:#}"), "cannot write to the people index"),
        }
    }

    fn progress(&self) -> rebuild::Progress {
        self.progress.lock().expect("not poisoned").clone()
    }

    fn set_progress(&self, progress: rebuild::Progress) {
        *self.progress.lock().expect("not poisoned") = progress;
    }

    fn update_progress(&self, update: impl FnOnce(&mut rebuild::Progress)) {
        update(&mut self.progress.lock().expect("not poisoned"));
    }

    fn commit(&self) -> tantivy::Result<()> {
        self.posts.commit()?;
        self.people.commit()
    }
}

/// What search's handlers share.
struct Search {
    writer: Writer,
    indexes: Arc<Indexes>,
    source: rebuild::Source,
    shutdown: CancellationToken,
    /// Each recent viewer's audience (anonymous: `None`), read from the database at most once
    /// per [`api::AUDIENCE_FRESH_FOR`].
    audiences: quick_cache::sync::Cache<Option<uuid::Uuid>, (std::time::Instant, Arc<index::Audience>)>,
}

/// The OpenAPI description of search's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime, config: &SearchConfig) -> anyhow::Result<Mounted> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let writer = opened.writer.clone();
    let db = opened.db().clone();
    let root = runtime.config.data_dir.join("search");
    let (indexes, posts_opened, people_opened) = tokio::task::spawn_blocking(move || {
        let (posts, posts_opened) = LivePosts::open(&root)?;
        let (people, people_opened) = PeopleIndex::open(&root.join("people"))?;
        domain::analyzer::warm_up();
        let indexes = Indexes { posts, people, dirty: tokio::sync::Notify::new(), progress: Mutex::default() };
        anyhow::Ok((Arc::new(indexes), posts_opened, people_opened))
    })
    .await??;
    if people_opened == Opened::Empty {
        let count = rebuild::people(&indexes, &writer).await?;
        tracing::info!(people = count, "people index built from search's tables");
    }
    let source = rebuild::Source {
        client: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
        content_url: config.content_url.clone(),
        local_addr: Arc::clone(&runtime.local_addr),
        token: runtime.verifier.internal_token().to_owned(),
        batch: config.rebuild_batch,
    };
    let mut background = vec![platform::service::task(commit(Arc::clone(&indexes), runtime.shutdown.clone()))];
    if posts_opened == Opened::Empty {
        background.push(platform::service::task(rebuild::posts_until_done(
            Arc::clone(&indexes),
            source.clone(),
            runtime.shutdown.clone(),
        )));
    }
    let posts = ingest::content::Posts { writer: writer.clone(), indexes: Arc::clone(&indexes) };
    let users = ingest::identity::Users { writer: writer.clone(), indexes: Arc::clone(&indexes) };
    let edges = ingest::graph::Edges { writer: writer.clone(), indexes: Arc::clone(&indexes) };
    let search = Arc::new(Search {
        writer,
        indexes: Arc::clone(&indexes),
        source,
        shutdown: runtime.shutdown.clone(),
        audiences: quick_cache::sync::Cache::new(10_000),
    });
    let [posts_consumer, users_consumer, edges_consumer] =
        [ingest::content::CONSUMER, ingest::identity::CONSUMER, ingest::graph::CONSUMER].map(|c| config.consumer(c));
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(search),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![
            platform::service::subscription(
                &posts_consumer,
                &[contracts::content::POSTS],
                handler(posts_consumer.clone(), posts),
                &db,
            ),
            platform::service::subscription(
                &users_consumer,
                &[IdentityEvent::TOPICS],
                handler(users_consumer.clone(), users),
                &db,
            ),
            platform::service::subscription(
                &edges_consumer,
                ingest::graph::TOPICS,
                handler(edges_consumer.clone(), edges),
                &db,
            ),
        ],
        relay: Some(opened.relay),
        background,
        database: Some(db),
    })
}

/// Makes what the consumers wrote searchable, at most every [`COMMIT_EVERY`], and once more at
/// shutdown.
async fn commit(indexes: Arc<Indexes>, shutdown: CancellationToken) {
    loop {
        let stopping = tokio::select! {
            () = shutdown.cancelled() => true,
            () = indexes.dirty.notified() => false,
        };
        if !stopping {
            tokio::time::sleep(COMMIT_EVERY).await;
        }
        let indexes = Arc::clone(&indexes);
        match tokio::task::spawn_blocking(move || indexes.commit()).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::error!(error = format!("{err:#}"), "cannot commit the search indexes"),
            Err(err) => tracing::error!(error = %err, "the search index commit panicked"),
        }
        if stopping {
            break;
        }
    }
}
