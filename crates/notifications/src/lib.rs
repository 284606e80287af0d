//! The notifications service: who is told what, grouped like Mastodon 4.3's v2 notifications
//! (likes, reposts, follows and sign-ups of one target within a window are one group with an
//! exact count and up to 8 accounts; mentions and replies never group), per-kind preferences,
//! a per-follow "notify me", and a live stream resumable with `Last-Event-ID`.
//!
//! # Layout
//! * `config`: the `[notifications]` section.
//! * `domain`: the kinds, preferences, a notice and the window rule; the service's error. Pure.
//! * `store`: the only SQL: `people` (its copies of people, follows, silenced pairs, posts),
//!   `groups` (notifications and their groups, the change counter, the read marker),
//!   `preferences`.
//! * `ingest`: content's, graph's and identity's events, one consumer each; `ingest::tell` is
//!   the one place a notice passes the rules.
//! * `api`: HTTP handlers, the live stream, and the one mapping of errors to answers.
//! * `bulk`: loading notifications before a server starts (the load generator).
//!
//! Dependencies point down: `api`, `ingest` and `bulk` → `store` → `domain`.
//!
//! **Invariants:** a count is the number of notifications its group holds (every take-back
//! recounts); nobody is told what they did, nor anything from whom they silenced or who
//! blocked them, nor about a post they may not see; a read never calls another service.

mod api;
pub mod bulk;
pub mod config;
mod domain;
mod ingest;
mod store;

use std::sync::Arc;

use contracts::{EventFamily, content::ContentEvent, graph::GraphEvent, identity::IdentityEvent};
use platform::{Mounted, Runtime, http::admission::Admission};
use sqlx::migrate::Migrator;
use uuid::Uuid;

pub use crate::config::NotificationsConfig;

pub const NAME: &str = "notifications";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything notifications' handlers and consumers share.
struct Notifications {
    store: store::Store,
    config: NotificationsConfig,
    /// Recipients whose groups this process changed: wakes their live streams.
    live: tokio::sync::broadcast::Sender<Uuid>,
    admission: Arc<Admission>,
    /// Ends live streams whose token stops being good.
    verifier: Arc<platform::http::TokenVerifier>,
    shutdown: tokio_util::sync::CancellationToken,
}

/// The OpenAPI description of notifications' routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime, config: &NotificationsConfig) -> anyhow::Result<Mounted> {
    let db = runtime.open_database(NAME, &MIGRATIONS).await?;
    let service = Arc::new(Notifications {
        store: store::over(db.clone()),
        config: config.clone(),
        live: tokio::sync::broadcast::channel(4096).0,
        admission: Admission::new(platform::http::admission::Limits {
            per_user: config.streams_per_user,
            per_address: config.streams_per_address,
            total: config.streams_total,
        }),
        verifier: Arc::clone(&runtime.verifier),
        shutdown: runtime.shutdown.clone(),
    });
    use platform::{ingest::handler, service::subscription};
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(Arc::clone(&service)),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![
            subscription(
                ingest::content::CONSUMER,
                &[ContentEvent::TOPICS],
                handler(ingest::content::CONSUMER, ingest::content::Posts(Arc::clone(&service))),
                &db,
            ),
            subscription(
                ingest::graph::CONSUMER,
                &[GraphEvent::TOPICS],
                handler(ingest::graph::CONSUMER, ingest::graph::Edges(Arc::clone(&service))),
                &db,
            ),
            subscription(
                ingest::identity::CONSUMER,
                &[IdentityEvent::TOPICS],
                handler(ingest::identity::CONSUMER, ingest::identity::People(service)),
                &db,
            ),
        ],
        relay: None,
        background: Vec::new(),
        database: Some(db),
    })
}
