//! The identity service: accounts, sign-in, sessions and the keys every other service uses to
//! verify access tokens.
//!
//! # Layout
//! * `domain`: account fields that validate on construction.
//! * `password`: Argon2id hashing.
//! * `keys`: signing keys and the JWKS.
//! * `tokens`: access tokens (JWT) and rotating refresh tokens.
//! * `api`: HTTP handlers, one module per resource.
//!
//! **Invariant:** identity is the only service that reads or writes accounts and sessions;
//! others learn about users from its events and its API.

pub mod api;
pub mod domain;
pub mod keys;
pub mod password;
pub mod tokens;

use std::sync::Arc;

use platform::{Db, Mounted, Runtime, events::outbox::RelayHandle};
use sqlx::migrate::Migrator;
use utoipa_axum::router::OpenApiRouter;

pub const NAME: &str = "identity";

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Everything identity's handlers share.
pub struct Identity {
    pub db: Db,
    pub keys: keys::KeyRing,
    pub relay: RelayHandle,
    pub config: Arc<platform::Config>,
}

/// The routes and their OpenAPI description, without state (used for the spec too).
pub fn routes() -> OpenApiRouter<Arc<Identity>> {
    api::routes()
}

/// Applies identity's migrations and nothing else (`riffle migrate`).
pub async fn migrate(runtime: &Runtime) -> anyhow::Result<()> {
    runtime.open_database(NAME, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?.close().await;
    Ok(())
}

/// Starts identity: opens its database, loads its keys, and hands them to the process's verifier.
pub async fn mount(runtime: &Runtime) -> anyhow::Result<Mounted> {
    let db = runtime.open_database(NAME, &SQLITE_MIGRATIONS, &POSTGRES_MIGRATIONS).await?;
    let keys = keys::KeyRing::load_or_create(&db).await?;
    runtime.verifier.set_keys(&keys.jwks());
    let relay = runtime.relay(NAME, &db);
    let state = Arc::new(Identity { db: db.clone(), keys, relay: relay.handle(), config: Arc::clone(&runtime.config) });
    Ok(Mounted {
        name: NAME,
        routes: routes().with_state(state),
        probes: vec![Runtime::database_probe(&db)],
        relay: Some(relay),
        subscriptions: Vec::new(),
        background: Vec::new(),
        database: Some(db),
    })
}
