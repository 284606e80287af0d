//! The graph service: follows (of people and of source accounts alike), tag follows, blocks,
//! mutes, followers and following lists, relationships and who-to-follow suggestions.
//!
//! # Layout
//! * `domain`: the kinds of edges and the events their changes emit, the tag rule, the error.
//! * `store`: the only SQL, one module per table family; every change one transaction with its
//!   events (a block removes follows both ways, with their events).
//! * `ingest`: identity's events: which users exist; a deleted user's edges go. The crawler's
//!   subscriptions: follows of sources.
//! * `jobs`: suggestions, computed in the background for the users who ask for them.
//! * `api`: HTTP handlers and the one mapping of errors to answers.
//!
//! Dependencies point down: `api`, `ingest` and `jobs` → `store` → `domain`.
//!
//! **Invariant:** the graph never reads another service's tables; other services learn about
//! edges from its events (`contracts::graph::GraphEvent`).

mod api;
mod domain;
mod ingest;
mod jobs;
mod store;

use std::sync::Arc;

use contracts::{EventFamily, identity::IdentityEvent};
use platform::{Mounted, Runtime};
use sqlx::migrate::Migrator;

pub const NAME: &str = "graph";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything the graph's handlers and jobs share.
struct Graph {
    store: store::Store,
    /// The most followed accounts, what suggestions fall back on.
    popular: std::sync::RwLock<Arc<Vec<store::suggestions::Suggested>>>,
    /// Wakes the suggestions job when someone asks for suggestions not computed yet.
    suggestions_wanted: tokio::sync::Notify,
}

impl Graph {
    fn popular(&self) -> Arc<Vec<store::suggestions::Suggested>> {
        Arc::clone(&self.popular.read().expect("not poisoned"))
    }
}

/// The OpenAPI description of the graph's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let store = opened.writer.clone();
    let db = opened.db().clone();
    let users = platform::ingest::handler(ingest::identity::CONSUMER, ingest::identity::Users(store.clone()));
    let subscriptions =
        platform::ingest::handler(ingest::crawler::CONSUMER, ingest::crawler::Subscriptions(store.clone()));
    let graph = Arc::new(Graph { store, popular: Default::default(), suggestions_wanted: tokio::sync::Notify::new() });
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(Arc::clone(&graph)),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![
            platform::service::subscription(ingest::identity::CONSUMER, &[IdentityEvent::TOPICS], users, &db),
            platform::service::subscription(
                ingest::crawler::CONSUMER,
                &[contracts::crawler::SUBSCRIPTIONS],
                subscriptions,
                &db,
            ),
        ],
        relay: Some(opened.relay),
        background: vec![platform::service::task(jobs::suggest(graph, runtime.shutdown.clone()))],
        database: Some(db),
    })
}
