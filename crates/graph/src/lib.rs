//! The graph service: follows (of people and of source accounts alike), tag follows, blocks,
//! mutes, followers and following lists, relationships and who-to-follow suggestions.
//!
//! # Layout
//! * `edges`: every change to the graph, each one transaction with its event.
//! * `read_models`: which users exist, from identity's events; a deleted user's edges go.
//! * `api`: HTTP handlers.
//!
//! **Invariant:** the graph never reads another service's tables; other services learn about
//! edges from its events (`graph.follow.created`, `graph.block.created`, ...).

pub mod api;
pub mod edges;
pub mod read_models;

use std::sync::Arc;

use platform::{Db, Mounted, Runtime, events::outbox::RelayHandle};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

pub const NAME: &str = "graph";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything graph's handlers share.
pub struct Graph {
    pub db: Db,
    pub relay: RelayHandle,
}

pub fn routes() -> OpenApiRouter<Arc<Graph>> {
    api::routes()
}

pub async fn migrate(runtime: &Runtime) -> anyhow::Result<()> {
    runtime.open_database(NAME, &MIGRATIONS).await?.close().await;
    Ok(())
}

pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let db = runtime.open_database(NAME, &MIGRATIONS).await?;
    let relay = runtime.relay(NAME, &db);
    let graph = Arc::new(Graph { db: db.clone(), relay: relay.handle() });
    Ok(Mounted {
        name: NAME,
        routes: routes().with_state(Arc::clone(&graph)),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![read_models::subscription(graph)],
        relay: Some(relay),
        background: Vec::new(),
        database: Some(db),
    })
}
