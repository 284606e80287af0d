//! The contract between a service crate and the process that runs it.
//!
//! A service receives the process's shared [`Runtime`] (configuration, event bus, token
//! verifier, shutdown signal) and returns what it mounts: routes with their OpenAPI, readiness
//! probes, its outbox relay, its event subscriptions and background tasks. The runtime decides
//! the order: every subscription is made before any relay starts, so the in-process bus never
//! relays an event that a consumer of this process has not subscribed to yet.

use std::{sync::Arc, time::Duration};

use contracts::{EventFamily, identity::IdentityEvent};
use futures::future::BoxFuture;
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    change::Writer,
    config::{Config, EventsLocation},
    db::Db,
    events::{
        BusError, Event, EventBus, EventHandler, RetryPolicy, Subscription, Watcher, memory::InProcessBus,
        nats::NatsBus, outbox,
    },
    http::{Probe, TokenVerifier},
};

/// What the process shares with every service it runs.
#[derive(Clone)]
pub struct Runtime {
    pub config: Arc<Config>,
    pub bus: Arc<dyn EventBus>,
    pub verifier: Arc<TokenVerifier>,
    pub shutdown: CancellationToken,
    /// The address the process's HTTP server listens on, once it is bound: what a service
    /// calls to reach another one of the same process through its API.
    pub local_addr: Arc<std::sync::OnceLock<std::net::SocketAddr>>,
    /// The process's own router, once it is assembled: a service calling another one of the
    /// same process goes through it as through HTTP (the same layers, the same rules) without
    /// a socket. Callers keep a weak reference (the router holds them); emptied at shutdown.
    pub local_router: Arc<std::sync::RwLock<Option<axum::Router>>>,
}

/// What a started service contributes to the process.
pub struct Mounted {
    pub name: &'static str,
    /// Routes under `/api/v1`, with their OpenAPI description.
    pub routes: OpenApiRouter,
    pub probes: Vec<Probe>,
    pub relay: Option<outbox::Relay>,
    pub subscriptions: Vec<Subscription>,
    /// Long-running tasks; each must return when `Runtime::shutdown` is cancelled.
    pub background: Vec<BoxFuture<'static, ()>>,
    /// The service's database, closed last on shutdown.
    pub database: Option<Db>,
}

/// A service's database, opened and migrated, with the relay of its outbox and the writer its
/// store makes changes through.
pub struct Opened {
    pub writer: Writer,
    pub relay: outbox::Relay,
}

impl Opened {
    pub fn db(&self) -> &Db {
        self.writer.db()
    }
}

impl Runtime {
    /// Builds the process's shared parts from configuration; fails with a message saying what
    /// to fix when the event bus cannot be reached.
    /// The verifier learns revocations from identity's events, replayed from a little more
    /// than a token's lifetime ago where the bus keeps history, so a process started after a
    /// suspension refuses the suspended user's tokens too.
    pub async fn new(config: Arc<Config>, shutdown: CancellationToken) -> anyhow::Result<Runtime> {
        let bus = connect_bus(&config).await?;
        let jwks_url = Some(config.auth.jwks_url.clone()).filter(|u| !u.is_empty());
        let verifier = Arc::new(
            TokenVerifier::new(&config.auth.issuer, &config.auth.audience, config.auth.token_cache_capacity, jwks_url)
                .with_internal_token(&config.auth.internal_token),
        );
        let watching = Arc::clone(&verifier);
        let watcher: Watcher = Arc::new(move |event: &Event| {
            if let Ok(Some(event)) = event.decode::<IdentityEvent>("auth.revocations") {
                watching.apply(&event);
            }
        });
        let replay = Duration::from_secs(config.auth.access_token_ttl_secs + 60);
        bus.watch(&[IdentityEvent::TOPICS], replay, watcher, shutdown.clone())
            .await
            .map_err(|e| anyhow::anyhow!("cannot watch identity's events for revocations: {e}"))?;
        Ok(Runtime { config, bus, verifier, shutdown, local_addr: Arc::default(), local_router: Arc::default() })
    }

    /// Opens the database `service` owns: connects (creating the SQLite file or PostgreSQL schema),
    /// installs the event tables, then applies the service's migrations.
    pub async fn open_database(&self, service: &'static str, migrations: &Migrator) -> anyhow::Result<Db> {
        let location = self.config.database_for(service);
        let db = Db::connect(service, &location, self.config.database.max_connections).await?;
        outbox::install(&db).await.map_err(|e| anyhow::anyhow!("{}: cannot create event tables: {e}", db.label()))?;
        db.migrate(migrations).await?;
        Ok(db)
    }

    /// Opens a service's database with its relay and writer.
    pub async fn open(&self, service: &'static str, migrations: &Migrator) -> anyhow::Result<Opened> {
        let db = self.open_database(service, migrations).await?;
        let relay = self.relay(service, &db);
        Ok(Opened { writer: Writer::new(db, relay.handle()), relay })
    }

    /// The outbox relay of a service's database.
    pub fn relay(&self, service: &'static str, db: &Db) -> outbox::Relay {
        outbox::Relay::new(
            service,
            db.clone(),
            Arc::clone(&self.bus),
            self.config.events.relay_batch,
            Duration::from_millis(self.config.events.relay_interval_ms),
        )
    }

    /// A readiness probe for a database.
    pub fn database_probe(db: &Db) -> Probe {
        let db = db.clone();
        Probe::new(db.label().to_owned(), move || {
            let db = db.clone();
            async move { db.ping().await }
        })
    }
}

/// A subscription of `consumer` to `topics`, queued, deduplicated and dead-lettered in `db`.
pub fn subscription(consumer: &str, topics: &[&'static str], handler: Arc<dyn EventHandler>, db: &Db) -> Subscription {
    Subscription { consumer: consumer.to_owned(), topics: topics.to_vec(), handler, db: db.clone(), lanes: None }
}

/// Connects the bus named by `events.url`.
pub async fn connect_bus(config: &Config) -> anyhow::Result<Arc<dyn EventBus>> {
    let policy = RetryPolicy::of(&config.events);
    Ok(match config.events_location()? {
        EventsLocation::InProcess => Arc::new(InProcessBus::new(policy)),
        EventsLocation::Nats(url) => Arc::new(
            NatsBus::connect(&url, &config.events.stream, policy).await.map_err(|e: BusError| anyhow::anyhow!(e))?,
        ),
    })
}

/// A type-erased background task.
pub fn task(future: impl Future<Output = ()> + Send + 'static) -> BoxFuture<'static, ()> {
    Box::pin(future)
}
