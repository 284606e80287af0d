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
    Config, Db, Mounted, Runtime,
    events::outbox::Relay,
    http::{self, Probe},
};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use utoipa::openapi::{
    OpenApi,
    security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};
use utoipa_axum::router::OpenApiRouter;

use crate::modules::Module;

/// A built process, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    runtime: Runtime,
    relays: Vec<Relay>,
    background: Vec<BoxFuture<'static, ()>>,
    databases: Vec<Db>,
}

/// The OpenAPI document of `modules`, without starting anything (`riffle openapi`).
pub fn openapi(modules: &[Module]) -> OpenApi {
    let mut spec = base_spec();
    for module in modules {
        let part = match module {
            Module::Identity => identity::routes().split_for_parts().1,
            Module::Content => content::routes().split_for_parts().1,
            Module::Graph => graph::routes().split_for_parts().1,
            Module::Feed => feed::routes().split_for_parts().1,
            other => unreachable!("{other} is not available"),
        };
        spec.merge(part);
    }
    spec
}

fn base_spec() -> OpenApi {
    let mut spec = utoipa::openapi::OpenApiBuilder::new()
        .info(
            utoipa::openapi::InfoBuilder::new()
                .title("Riffle API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Riffle's public HTTP API. Errors are `application/problem+json` (RFC 9457); \
                     authenticated endpoints take `Authorization: Bearer <access token>` from `/api/v1/auth/login`.",
                ))
                .build(),
        )
        .build();
    let components = spec.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    spec
}

/// Runs each chosen service's migrations and exits (`riffle migrate`).
pub async fn migrate(config: Config, modules: &[Module]) -> anyhow::Result<()> {
    let runtime = Runtime::new(Arc::new(config), CancellationToken::new()).await?;
    for module in modules {
        match module {
            Module::Identity => identity::migrate(&runtime).await?,
            Module::Content => content::migrate(&runtime).await?,
            Module::Graph => graph::migrate(&runtime).await?,
            Module::Feed => feed::migrate(&runtime).await?,
            other => unreachable!("{other} is not available"),
        }
        tracing::info!(service = %module, "migrations applied");
    }
    Ok(())
}

impl Application {
    /// Builds the process: every backend is reached and every migration applied before this
    /// returns, so a misconfiguration fails here, with a message naming what to fix.
    pub async fn build(config: Config, modules: &[Module]) -> anyhow::Result<Application> {
        platform::metrics::install();
        let config = Arc::new(config);
        let shutdown = CancellationToken::new();
        let runtime = Runtime::new(Arc::clone(&config), shutdown.clone()).await?;
        if runtime.verifier.is_remote() {
            runtime.verifier.refresh_remote().await;
        }
        let partial = modules.len() < Module::ALL.iter().filter(|m| m.available()).count();
        if partial && matches!(config.events_location()?, platform::config::EventsLocation::InProcess) {
            tracing::warn!(
                "running a subset of services with the in-process event bus: events for services in other \
                 processes are not delivered; set events.url to a nats:// URL"
            );
        }

        let mut mounted = Vec::new();
        for module in modules {
            let service = match module {
                Module::Identity => identity::mount(&runtime).await,
                Module::Content => content::mount(&runtime).await,
                Module::Graph => graph::mount(&runtime).await,
                Module::Feed => feed::mount(&runtime).await,
                other => unreachable!("{other} is not available"),
            };
            mounted.push(service.with_context(|| format!("cannot start the {module} service"))?);
        }
        Self::assemble(config, runtime, mounted).await
    }

    async fn assemble(config: Arc<Config>, runtime: Runtime, mounted: Vec<Mounted>) -> anyhow::Result<Application> {
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
                runtime
                    .bus
                    .subscribe(
                        &subscription.consumer,
                        &subscription.topics,
                        subscription.handler,
                        runtime.shutdown.clone(),
                    )
                    .await
                    .with_context(|| format!("{}: cannot subscribe {}", service.name, subscription.consumer))?;
            }
            routes = routes.merge(service.routes);
            probes.extend(service.probes);
            relays.extend(service.relay);
            background.extend(service.background);
            databases.extend(service.database);
        }
        let (api, service_spec) = routes.split_for_parts();
        let mut spec = base_spec();
        spec.merge(service_spec);
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
        // Relays flush their outboxes when they see the cancellation.
        while tasks.join_next().await.is_some() {}
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
