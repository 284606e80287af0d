//! Assembling and running one process: the chosen services, their shared runtime, one HTTP
//! server on one port.
//!
//! Start-up order matters and is fixed here: connect the bus, mount every service (each opens
//! and migrates its own database), make every event subscription, and only then start the
//! outbox relays and accept requests. Shutdown runs the other way: stop accepting, drain
//! in-flight requests, flush the outboxes, close the databases.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use futures::future::BoxFuture;
use platform::{
    Db, Mounted, Runtime,
    events::{dead_letters, outbox::Relay},
    http::{self, Probe},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;

use crate::{
    services::{self, ServiceDef},
    settings::Settings,
};

/// A built process, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    runtime: Runtime,
    relays: Vec<Relay>,
    background: Vec<BoxFuture<'static, ()>>,
    databases: Vec<Db>,
}

/// Runs each chosen service's migrations and exits (`riffle migrate`).
pub async fn migrate(settings: Settings, services: &[&ServiceDef]) -> anyhow::Result<()> {
    let runtime = Runtime::new(Arc::new(settings.process), CancellationToken::new()).await?;
    for service in services {
        if let Some(migrations) = service.migrations {
            runtime.open_database(service.name, migrations).await?.close().await;
            tracing::info!(service = service.name, "migrations applied");
        }
    }
    Ok(())
}

/// Lists the dead letters of `services` (`riffle events dead-letters`), or with `replay`, asks
/// for them to be retried (all, or the one event `only`): the running consumer does so within
/// seconds. Returns the listing, one letter per line.
pub async fn dead_letters(
    settings: &Settings,
    services: &[&ServiceDef],
    replay: bool,
    only: Option<uuid::Uuid>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    for service in services {
        let location = settings.database_for(service.name);
        let db = Db::connect(service.name, &location, 2).await?;
        platform::events::outbox::install(&db).await?;
        if replay {
            let asked = dead_letters::request_replay(&db, only).await?;
            out.push_str(&format!("{}: {asked} dead letters to replay\n", service.name));
        } else {
            for letter in dead_letters::list(&db).await? {
                out.push_str(&format!(
                    "{} {} {} {} attempts={} parked={}{}: {}\n",
                    service.name,
                    letter.consumer,
                    letter.event.id,
                    letter.event.topic,
                    letter.attempts,
                    platform::db::from_ms(letter.parked_at_ms)
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    if letter.replay_requested { " (replay asked)" } else { "" },
                    letter.last_error.lines().next().unwrap_or(""),
                ));
            }
        }
        db.close().await;
    }
    Ok(out)
}

impl Application {
    /// Builds the process: every need is checked, every backend reached and every migration
    /// applied before this returns, so a misconfiguration fails here, with a message naming what
    /// to fix.
    pub async fn build(settings: Settings, services: &[&ServiceDef]) -> anyhow::Result<Application> {
        services::check_needs(services, &settings)?;
        platform::metrics::install();
        let config = Arc::new(settings.process.clone());
        let shutdown = CancellationToken::new();
        let runtime = Runtime::new(Arc::clone(&config), shutdown.clone()).await?;
        if runtime.verifier.is_remote() {
            runtime.verifier.refresh_remote().await;
        }
        let mut mounted = Vec::new();
        for service in services {
            let started = (service.mount)(&runtime, &settings).await;
            mounted.push(started.with_context(|| format!("cannot start the {} service", service.name))?);
        }
        Self::assemble(config, runtime, mounted).await
    }

    async fn assemble(
        config: Arc<platform::Config>,
        runtime: Runtime,
        mounted: Vec<Mounted>,
    ) -> anyhow::Result<Application> {
        let mut routes = OpenApiRouter::new();
        let mut probes = vec![bus_probe(&runtime)];
        if runtime.verifier.is_remote() {
            let verifier = Arc::clone(&runtime.verifier);
            probes.push(Probe::new("auth.jwks", move || {
                let verifier = Arc::clone(&verifier);
                async move { verifier.ping().await }
            }));
        }
        let (mut relays, mut background, mut databases) = (Vec::new(), Vec::new(), Vec::new());
        for service in mounted {
            for subscription in service.subscriptions {
                let consumer = subscription.consumer.clone();
                runtime
                    .bus
                    .subscribe(subscription, runtime.shutdown.clone())
                    .await
                    .with_context(|| format!("{}: cannot subscribe {consumer}", service.name))?;
            }
            routes = routes.merge(service.routes);
            probes.extend(service.probes);
            relays.extend(service.relay);
            background.extend(service.background);
            if let Some(db) = &service.database {
                background.push(platform::service::task(platform::events::outbox::housekeeping(
                    db.clone(),
                    runtime.shutdown.clone(),
                )));
            }
            databases.extend(service.database);
        }
        let (api, service_spec) = routes.split_for_parts();
        let mut spec = services::base_spec();
        spec.merge(service_spec);
        let spec = http::spec::complete(spec);
        let openapi_json = Arc::new(spec.to_pretty_json().context("OpenAPI document does not serialize")?);
        let router = http::router(
            api,
            http::Stack {
                config: Arc::clone(&config),
                verifier: Arc::clone(&runtime.verifier),
                probes,
                openapi_json,
                shutdown: runtime.shutdown.clone(),
            },
        );
        let listener = TcpListener::bind(config.bind).await.map_err(|e| {
            anyhow::anyhow!("cannot listen on {}: {e}; choose another address with `bind` or RIFFLE_BIND", config.bind)
        })?;
        let _ = runtime.local_addr.set(listener.local_addr()?);
        *runtime.local_router.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(router.clone());
        Ok(Application { listener, router, runtime, relays, background, databases })
    }

    /// The address actually bound (tests bind port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("bound listener has an address")
    }

    /// A token that stops the application when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.runtime.shutdown.clone()
    }

    /// Serves until `signal` completes (or the shutdown token is cancelled), then shuts down
    /// gracefully.
    pub async fn run_until_stopped(self, signal: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Application { listener, router, runtime, relays, background, databases } = self;
        let shutdown = runtime.shutdown.clone();
        let mut tasks = tokio::task::JoinSet::new();
        for relay in relays {
            tasks.spawn(relay.run(shutdown.clone()));
        }
        for task in background {
            tasks.spawn(task);
        }
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = signal => trigger.cancel(),
                () = trigger.cancelled() => {}
            }
        });
        tracing::info!(addr = %listener.local_addr()?, "riffle is ready");
        let grace = Duration::from_secs(runtime.config.http.shutdown_grace_secs);
        let draining = shutdown.clone();
        let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move { draining.cancelled().await });
        let server = tokio::spawn(async move { server.await });
        shutdown.cancelled().await;
        tracing::info!("shutting down: draining requests");
        match tokio::time::timeout(grace, server).await {
            Ok(result) => result??,
            Err(_) => tracing::warn!(?grace, "requests still running after the grace period; closing anyway"),
        }
        // Relays flush their outboxes when they see the cancellation; consumers finish the event
        // they are applying. Databases close after both.
        while tasks.join_next().await.is_some() {}
        runtime.bus.consumers_stopped().await;
        runtime.local_router.write().unwrap_or_else(std::sync::PoisonError::into_inner).take();
        for db in databases {
            db.close().await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

fn bus_probe(runtime: &Runtime) -> Probe {
    let bus = Arc::clone(&runtime.bus);
    Probe::new(bus.label(), move || {
        let bus = Arc::clone(&bus);
        async move { bus.ping().await }
    })
}
