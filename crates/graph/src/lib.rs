//! The graph service: follows (of people and of source accounts alike), tag follows, blocks,
//! mutes, followers and following lists, relationships and who-to-follow suggestions.
//!
//! # Layout
//! * `domain`: the kinds of edges and the events their changes emit, the tag rule, the error.
//! * `store`: the only SQL, one module per table family; every change one transaction with its
//!   events (a block removes follows both ways, with their events).
//! * `ingest`: identity's events: which users exist; a deleted user's edges go.
//! * `api`: HTTP handlers and the one mapping of errors to answers.
//!
//! Dependencies point down: `api` and `ingest` → `store` → `domain`.
//!
//! **Invariant:** the graph never reads another service's tables; other services learn about
//! edges from its events (`contracts::graph::GraphEvent`).

mod api;
mod domain;
mod ingest;
mod store;

use std::sync::Arc;

use contracts::{EventFamily, identity::IdentityEvent};
use platform::{Mounted, Runtime};
use sqlx::migrate::Migrator;

pub const NAME: &str = "graph";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything the graph's handlers share.
struct Graph {
    store: store::Store,
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
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(Arc::new(Graph { store })),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![platform::service::subscription(
            ingest::identity::CONSUMER,
            &[IdentityEvent::TOPICS],
            users,
            &db,
        )],
        relay: Some(opened.relay),
        background: Vec::new(),
        database: Some(db),
    })
}
