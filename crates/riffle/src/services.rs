//! The services, from one table: each one's name, what it needs, its migrations, its OpenAPI
//! and how it is mounted. A `--target` list resolves against it.
//!
//! Like Loki's `-target`, a target is a service or a group (a plain union of services), and the
//! process runs the union of what its targets resolve to. An unknown target is refused by name
//! instead of being silently skipped. What a service needs is
//! checked when a process starts: a process whose services' needs are not met stops with one
//! line saying what to set.

use futures::future::BoxFuture;
use platform::http;
use platform::{Mounted, Runtime, config::EventsLocation};
use sqlx::migrate::Migrator;
use utoipa::openapi::{
    OpenApi,
    security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::settings::Settings;

/// What a service needs from the process besides its own database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// An event bus that reaches the other services: with services in other processes, NATS.
    SharedEvents,
    /// Identity's keys to verify access tokens: identity in the process, or `auth.jwks_url`.
    TokenKeys,
}

impl Need {
    fn describe(self) -> &'static str {
        match self {
            Need::SharedEvents => "events",
            Need::TokenKeys => "token keys",
        }
    }
}

/// One deployable service.
pub struct ServiceDef {
    pub name: &'static str,
    pub description: &'static str,
    pub needs: &'static [Need],
    /// None for a service that keeps no database.
    pub migrations: Option<&'static Migrator>,
    pub openapi: fn() -> OpenApi,
    pub mount: for<'a> fn(&'a Runtime, &'a Settings) -> BoxFuture<'a, anyhow::Result<Mounted>>,
}

impl std::fmt::Debug for ServiceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for ServiceDef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Every service, in start-up order (identity first: others verify tokens with its keys).
pub static SERVICES: [ServiceDef; 8] = [
    ServiceDef {
        name: identity::NAME,
        description: "accounts, sessions, tokens, roles, audit",
        needs: &[Need::SharedEvents],
        migrations: Some(&identity::MIGRATIONS),
        openapi: identity::openapi,
        mount: |runtime, _| Box::pin(identity::mount(runtime)),
    },
    ServiceDef {
        name: content::NAME,
        description: "posts, media, reactions, moderation",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&content::MIGRATIONS),
        openapi: content::openapi,
        mount: |runtime, settings| Box::pin(content::mount(runtime, &settings.content, &settings.media)),
    },
    ServiceDef {
        name: graph::NAME,
        description: "follows, blocks, mutes, suggestions",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&graph::MIGRATIONS),
        openapi: graph::openapi,
        mount: |runtime, _| Box::pin(graph::mount(runtime)),
    },
    ServiceDef {
        name: feed::NAME,
        description: "home, public, tag, user and for-you streams, live streams",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&feed::MIGRATIONS),
        openapi: feed::openapi,
        mount: |runtime, settings| Box::pin(feed::mount(runtime, &settings.timelines)),
    },
    ServiceDef {
        name: crawler::NAME,
        description: "external feeds and websites as source accounts",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&crawler::MIGRATIONS),
        openapi: crawler::openapi,
        mount: |runtime, settings| Box::pin(crawler::mount(runtime, &settings.crawler)),
    },
    ServiceDef {
        name: search::NAME,
        description: "full-text search over posts, Chinese and English",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&search::MIGRATIONS),
        openapi: search::openapi,
        mount: |runtime, settings| Box::pin(search::mount(runtime, &settings.search)),
    },
    ServiceDef {
        name: notifications::NAME,
        description: "grouped notifications, preferences, live stream",
        needs: &[Need::SharedEvents, Need::TokenKeys],
        migrations: Some(&notifications::MIGRATIONS),
        openapi: notifications::openapi,
        mount: |runtime, settings| Box::pin(notifications::mount(runtime, &settings.notifications)),
    },
    ServiceDef {
        name: web::NAME,
        description: "the web app: server-rendered pages over the API",
        needs: &[Need::TokenKeys],
        migrations: None,
        openapi: web::openapi,
        mount: |runtime, settings| Box::pin(std::future::ready(web::mount(runtime, &settings.web, whole_spec()))),
    },
];

/// The OpenAPI document of `services`, without starting anything (`riffle openapi`).
pub fn openapi(services: &[&ServiceDef]) -> OpenApi {
    let mut spec = base_spec();
    for service in services {
        spec.merge((service.openapi)());
    }
    http::spec::complete(spec)
}

pub(crate) fn base_spec() -> OpenApi {
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

/// The OpenAPI document of every service, which the web app renders at `/docs` whichever
/// services its process runs.
fn whole_spec() -> serde_json::Value {
    let all: Vec<&ServiceDef> = SERVICES.iter().collect();
    serde_json::to_value(openapi(&all)).expect("the OpenAPI document serializes")
}

/// Groups: names for unions of services.
pub const GROUPS: &[(&str, &str)] = &[("all", "every available service in one process")];

fn group(name: &str) -> Option<Vec<&'static ServiceDef>> {
    match name {
        "all" => Some(SERVICES.iter().collect()),
        _ => None,
    }
}

/// The `service.name` of a process's spans: `telemetry.service_name`, else `riffle` for every
/// service and `riffle-<names>` for some, so a trace shows which process did what.
pub fn trace_name(config: &platform::config::TelemetryConfig, services: &[&ServiceDef]) -> String {
    if !config.service_name.is_empty() {
        config.service_name.clone()
    } else if services.len() == SERVICES.len() {
        "riffle".to_owned()
    } else {
        let names: Vec<&str> = services.iter().map(|s| s.name).collect();
        format!("riffle-{}", names.join("+"))
    }
}

/// Why a `--target` value was refused, or a process cannot run what it resolved to.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error("unknown target `{0}`; run `riffle targets` to list them")]
    Unknown(String),
    #[error("no target given")]
    Empty,
    #[error(
        "{0} without the other services needs a shared event bus: set events.url to a nats:// URL \
         (with `memory`, the events between services in different processes are lost)"
    )]
    NeedsSharedEvents(String),
    #[error("{0} verifies access tokens with identity's keys: run identity in this process or set auth.jwks_url")]
    NeedsTokenKeys(String),
}

/// Resolves a comma-separated target list into services in start-up order, without duplicates.
pub fn resolve(spec: &str) -> Result<Vec<&'static ServiceDef>, TargetError> {
    let mut chosen: Vec<&'static ServiceDef> = Vec::new();
    for name in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match (SERVICES.iter().find(|s| s.name == name), group(name)) {
            (Some(service), _) => chosen.push(service),
            (None, Some(members)) => chosen.extend(members),
            (None, None) => return Err(TargetError::Unknown(name.to_owned())),
        }
    }
    if chosen.is_empty() {
        return Err(TargetError::Empty);
    }
    let order = |s: &ServiceDef| SERVICES.iter().position(|t| t.name == s.name);
    chosen.sort_by_key(|s| order(s));
    chosen.dedup_by_key(|s| s.name);
    Ok(chosen)
}

/// Checks that the process can give `services` what they need.
pub fn check_needs(services: &[&ServiceDef], settings: &Settings) -> Result<(), TargetError> {
    let names = services.iter().map(|s| s.name).collect::<Vec<_>>().join(",");
    let alone = services.len() < SERVICES.len();
    let in_process = matches!(settings.events_location(), Ok(EventsLocation::InProcess));
    let identity_here = services.iter().any(|s| s.name == identity::NAME);
    for service in services {
        for need in service.needs {
            match need {
                Need::SharedEvents if alone && in_process => return Err(TargetError::NeedsSharedEvents(names)),
                Need::TokenKeys if !identity_here && settings.auth.jwks_url.is_empty() => {
                    return Err(TargetError::NeedsTokenKeys(service.name.to_owned()));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The text of `riffle targets`.
pub fn describe() -> String {
    let mut out = String::from("Services (run one or more with `riffle serve --target a,b`):\n");
    for service in &SERVICES {
        let needs: Vec<&str> = ["database"].into_iter().chain(service.needs.iter().map(|n| n.describe())).collect();
        out.push_str(&format!("  {:<9} {} [needs: {}]\n", service.name, service.description, needs.join(", ")));
    }
    out.push_str("Groups:\n");
    for (name, description) in GROUPS {
        let members: Vec<&str> = group(name).unwrap_or_default().into_iter().map(|s| s.name).collect();
        out.push_str(&format!("  {name:<9} {description} = {}\n", members.join(" + ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(services: &[&ServiceDef]) -> Vec<&'static str> {
        services.iter().map(|s| s.name).collect()
    }

    #[test]
    fn all_is_the_union_of_available_services() {
        assert_eq!(
            names(&resolve("all").unwrap()),
            ["identity", "content", "graph", "feed", "crawler", "search", "notifications", "web"]
        );
    }

    #[test]
    fn lists_are_deduplicated_and_ordered() {
        assert_eq!(resolve(" feed ,all,identity").unwrap(), resolve("all").unwrap());
        assert_eq!(names(&resolve("feed,identity").unwrap()), ["identity", "feed"]);
    }

    #[test]
    fn unknown_targets_are_refused_by_name() {
        assert_eq!(resolve("identity,nope"), Err(TargetError::Unknown("nope".into())));
        assert!(resolve("nope").unwrap_err().to_string().contains("riffle targets"));
        assert_eq!(resolve(""), Err(TargetError::Empty));
    }

    #[test]
    fn a_service_alone_needs_a_shared_bus_and_token_keys() {
        let mut settings = Settings::default();
        assert_eq!(check_needs(&resolve("all").unwrap(), &settings), Ok(()));
        let feed = resolve("feed").unwrap();
        assert!(matches!(check_needs(&feed, &settings), Err(TargetError::NeedsSharedEvents(_))));
        settings.events.url = "nats://127.0.0.1:4222".into();
        assert_eq!(check_needs(&feed, &settings), Err(TargetError::NeedsTokenKeys("feed".into())));
        settings.auth.jwks_url = "http://identity/.well-known/jwks.json".into();
        assert_eq!(check_needs(&feed, &settings), Ok(()));
        assert_eq!(check_needs(&resolve("identity").unwrap(), &settings), Ok(()), "identity has its own keys");
    }
}
