//! Typed, layered configuration.
//!
//! Layers, each overriding the one before: built-in defaults, then `riffle.toml` (or the file
//! named by `--config`), then `RIFFLE_*` environment variables (`RIFFLE_SECTION__KEY`, e.g.
//! `RIFFLE_DATABASE__URL`), then command-line flags. Every embedded default derives from
//! `data_dir`, so a fresh machine needs no configuration at all.
//!
//! Values are checked once, at startup: a bad value stops the process with a message that names
//! the key and says what is allowed, instead of surfacing later as a confusing runtime error.
//!
//! This is the process-wide part that every service shares. Each service's own section
//! (`[content]`, `[media]`, `[timelines]`) is typed in its crate, and the binary assembles the
//! whole from the same layers ([`layers`], [`extract`], [`check_keys`]).

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment, Provider,
    providers::{Env, Format, Toml},
};
use serde::{Deserialize, Serialize};

/// The process-wide configuration of one `riffle` process. Unknown keys are refused by
/// [`check_keys`], which knows the services' sections too.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// Runtime worker threads; 0 means one per core.
    pub workers: usize,
    /// Directory under which every embedded backend keeps its files.
    pub data_dir: PathBuf,
    /// Externally visible base URL, used in `Link` headers and issued tokens.
    pub public_url: String,
    pub log: LogConfig,
    pub telemetry: TelemetryConfig,
    pub database: DatabaseConfig,
    pub events: EventsConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    /// Per-service overrides, keyed by service name (`[services.identity]`).
    pub services: BTreeMap<String, ServiceOverrides>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter directive, e.g. `info` or `riffle=debug,sqlx=warn`.
    pub level: String,
}

/// `[telemetry]`: distributed traces. Every request, event publication and event delivery is a
/// span; with an OTLP endpoint they are exported, so one request can be followed across the
/// processes of a distributed deployment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// An OTLP/HTTP collector (`http://collector:4318`); spans are POSTed to its `/v1/traces` as
    /// protobuf. Empty: nothing is exported (trace ids still reach logs and events).
    pub otlp_endpoint: String,
    /// The `service.name` of this process's spans. Empty: `riffle` when the process runs every
    /// service, `riffle-<target>` when it runs some of them.
    pub service_name: String,
    /// The share of new traces that are recorded, 0.0 to 1.0; a trace that arrives sampled (or
    /// not) in `traceparent` keeps its caller's decision.
    pub sample_ratio: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Empty: one SQLite file per service under `data_dir`. `sqlite://DIR`: one file per service
    /// in DIR. `postgres://…`: one schema per service in that database.
    pub url: String,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventsConfig {
    /// `memory` (in process, made durable by each service's outbox) or `nats://host:port`.
    pub url: String,
    /// How often the outbox relay looks for events it was not woken for (other processes, a
    /// restart after a crash).
    pub relay_interval_ms: u64,
    /// Events relayed per round trip.
    pub relay_batch: u32,
    /// JetStream stream that carries every Riffle event.
    pub stream: String,
    /// Attempts a consumer makes at an event before parking it as a dead letter.
    pub max_attempts: u32,
    /// Pause after a consumer's first failure on an event; it doubles after each further one.
    pub retry_first_ms: u64,
    /// Longest pause between two attempts.
    pub retry_max_ms: u64,
    /// Events a hot consumer (feed's, of posts) handles at once, each author's in order.
    pub consumer_lanes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    pub request_timeout_secs: u64,
    /// Largest accepted request body for JSON endpoints.
    pub body_limit_bytes: usize,
    /// Origins allowed by CORS; empty disables CORS, `*` allows any.
    pub cors_origins: Vec<String>,
    /// Sustained requests per second per client address; 0 disables rate limiting.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Seconds to let in-flight requests finish on shutdown.
    pub shutdown_grace_secs: u64,
    /// Addresses (CIDRs, or single addresses) allowed to read `/metrics` and the details of
    /// `/readyz`; others get 404 from `/metrics` and only the status from `/readyz`.
    pub ops_addresses: Vec<String>,
    /// A bearer token (`Authorization: Bearer …`) that opens them from any address; empty: none.
    pub ops_token: String,
    /// Reverse proxies (CIDRs or addresses) whose `client_address_header` names the client; from
    /// any other peer it is ignored. Empty: none.
    pub trusted_proxies: Vec<String>,
    /// The one header the trusted proxies set: `x-forwarded-for` (nginx, ingress-nginx, Traefik,
    /// HAProxy, cloud load balancers) or `forwarded` (RFC 7239). Only that one is read, because a
    /// proxy passes the other through as the client sent it.
    pub client_address_header: ClientAddressHeader,
}

/// The header that names the client behind a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAddressHeader {
    #[default]
    XForwardedFor,
    Forwarded,
}

impl HttpConfig {
    /// The parsed `ops_addresses` (validated at load).
    pub fn ops_networks(&self) -> Vec<ipnet::IpNet> {
        self.ops_addresses.iter().filter_map(|a| parse_network(a)).collect()
    }

    /// The parsed `trusted_proxies` (validated at load).
    pub fn trusted_proxy_networks(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies.iter().filter_map(|a| parse_network(a)).collect()
    }
}

/// A CIDR (`10.0.0.0/8`) or a single address (`::1`).
pub fn parse_network(text: &str) -> Option<ipnet::IpNet> {
    text.parse::<ipnet::IpNet>().ok().or_else(|| text.parse::<std::net::IpAddr>().ok().map(ipnet::IpNet::from))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Where services that run without identity fetch its signing keys. Empty when identity runs
    /// in the same process (keys are then shared directly).
    pub jwks_url: String,
    /// `iss` of issued tokens and the only issuer accepted.
    pub issuer: String,
    /// `aud` of issued tokens and the only audience accepted.
    pub audience: String,
    pub access_token_ttl_secs: u64,
    /// Verified tokens remembered, so a hot path verifies a signature once per token.
    pub token_cache_capacity: usize,
    /// A used refresh token presented again within this many seconds is taken as a client's
    /// retry; later, as theft, and the whole session is revoked.
    pub refresh_reuse_grace_secs: u64,
    /// Identity starts signing with a new key this often (0: never). The next key is published
    /// in the JWKS an hour before it signs, so every verifier knows it in time.
    pub signing_key_rotation_days: u64,
    /// A new account exists once its owner follows the link mailed to the address they gave.
    /// Registration then answers the same whether the address is free or taken (no email
    /// enumeration). `false` creates accounts at once (closed instances, development), and a
    /// taken address is then told apart when its owner's password does not sign in.
    pub confirm_email: bool,
    /// Registrations accepted per client address (an IPv6 address by its /64) an hour.
    pub registrations_per_address_per_hour: u32,
    /// The secret the services of one deployment present to each other (search reads every
    /// post from content to rebuild its index). Empty: a random one per process, enough when
    /// the services run in one; a split deployment sets the same value in every process.
    pub internal_token: String,
}

/// `[mail]`: how Riffle sends email (confirmations; later, notifications).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `log:` writes each message to the log (the default: nothing leaves the machine);
    /// `file:///DIR` writes `.eml` files into DIR; `smtp://user:pass@host:587` (STARTTLS) or
    /// `smtps://user:pass@host:465` sends through a server.
    pub url: String,
    /// The `From:` of every message.
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { url: "log:".into(), from: "Riffle <riffle@localhost>".into() }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceOverrides {
    /// This service's own database URL, overriding `database.url`.
    pub database_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "0.0.0.0:8000".parse().expect("valid literal"),
            workers: 0,
            data_dir: PathBuf::from("./data"),
            public_url: "http://localhost:8000".into(),
            log: LogConfig::default(),
            telemetry: TelemetryConfig::default(),
            database: DatabaseConfig::default(),
            events: EventsConfig::default(),
            http: HttpConfig::default(),
            auth: AuthConfig::default(),
            mail: MailConfig::default(),
            services: BTreeMap::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self { otlp_endpoint: String::new(), service_name: String::new(), sample_ratio: 1.0 }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: String::new(), max_connections: 16 }
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            url: "memory".into(),
            relay_interval_ms: 1000,
            relay_batch: 256,
            stream: "RIFFLE_EVENTS".into(),
            max_attempts: 10,
            retry_first_ms: 1000,
            retry_max_ms: 60_000,
            consumer_lanes: 8,
        }
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_timeout_secs: 30,
            body_limit_bytes: 1024 * 1024,
            cors_origins: Vec::new(),
            rate_limit_per_second: 50,
            rate_limit_burst: 200,
            shutdown_grace_secs: 20,
            ops_addresses: vec!["127.0.0.0/8".into(), "::1/128".into()],
            ops_token: String::new(),
            trusted_proxies: Vec::new(),
            client_address_header: ClientAddressHeader::default(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwks_url: String::new(),
            issuer: "riffle".into(),
            audience: "riffle".into(),
            access_token_ttl_secs: 15 * 60,
            token_cache_capacity: 100_000,
            refresh_reuse_grace_secs: 5,
            signing_key_rotation_days: 30,
            confirm_email: true,
            registrations_per_address_per_hour: 20,
            internal_token: String::new(),
        }
    }
}

/// A configuration that could not be loaded or failed validation. The message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    /// A bad value: names the key and says what is allowed.
    pub fn key(key: &str, value: impl std::fmt::Debug, allowed: &str) -> Self {
        Self(format!("`{key}` = {value:?}: {allowed}"))
    }
}

/// Where the relational data of one service lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database and the schema this service owns in it.
    Postgres { url: String, schema: String },
}

/// Which event bus carries events between services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventsLocation {
    InProcess,
    Nats(String),
}

/// The layers every section is read from. `file` is the `--config` flag; without it
/// `riffle.toml` in the working directory is read if present. `flags` are the command line's
/// overrides, applied last. Defaults come from each section's type.
pub fn layers(file: Option<&Path>, flags: Figment) -> Result<Figment, ConfigError> {
    let mut figment = Figment::new();
    match file {
        Some(path) if !path.exists() => {
            return Err(ConfigError(format!("config file {} does not exist", path.display())));
        }
        Some(path) => figment = figment.merge(Toml::file_exact(path)),
        None => figment = figment.merge(Toml::file("riffle.toml")),
    }
    Ok(figment
        .merge(
            Env::prefixed("RIFFLE_")
                // Variables that are not configuration: command-line flags' variables,
                // the bootstrap password, and the test suites' backend URLs.
                .filter(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    !matches!(key.as_str(), "config" | "target" | "admin_password") && !key.starts_with("test_")
                })
                .split("__"),
        )
        .merge(flags))
}

/// Reads one section from the layers (`None`: the top level), its defaults where nothing is set.
pub fn extract<T: serde::de::DeserializeOwned + Default>(
    figment: &Figment,
    section: Option<&str>,
) -> Result<T, ConfigError> {
    let figment = match section {
        Some(name) if !figment.contains(name) => return Ok(T::default()),
        Some(name) => figment.focus(name),
        None => figment.clone(),
    };
    figment.extract().map_err(|err| {
        let lines: Vec<String> = err
            .into_iter()
            .map(|e| match section {
                Some(name) => format!("[{name}] {e}"),
                None => e.to_string(),
            })
            .collect();
        ConfigError(lines.join("; "))
    })
}

/// Refuses top-level keys that are neither the process's nor one of `sections`: a misspelt key
/// must not be ignored silently.
pub fn check_keys(figment: &Figment, sections: &[&str]) -> Result<(), ConfigError> {
    let known = toml::Value::try_from(Config::default()).expect("config serializes");
    let known = known.as_table().expect("config is a table");
    let given = figment.data().map_err(|e| ConfigError(e.to_string()))?;
    for dict in given.values() {
        for key in dict.keys() {
            if !known.contains_key(key) && !sections.contains(&key.as_str()) {
                let mut all: Vec<&str> = known.keys().map(String::as_str).chain(sections.iter().copied()).collect();
                all.sort_unstable();
                return Err(ConfigError(format!("unknown key `{key}`; the top-level keys are {}", all.join(", "))));
            }
        }
    }
    Ok(())
}

impl Config {
    /// The process-wide configuration from `figment`, checked.
    pub fn from_layers(figment: &Figment) -> Result<Self, ConfigError> {
        let config: Config = extract(figment, None)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde's types cannot: URL schemes, ranges, and values that only make sense
    /// together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        parse_database_url("database.url", &self.database.url, &self.data_dir, "probe")?;
        for (name, overrides) in &self.services {
            if let Some(url) = &overrides.database_url {
                parse_database_url(&format!("services.{name}.database_url"), url, &self.data_dir, name)?;
            }
        }
        self.events_location()?;
        let endpoint = &self.telemetry.otlp_endpoint;
        if !endpoint.is_empty()
            && reqwest::Url::parse(endpoint).map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            return Err(ConfigError::key("telemetry.otlp_endpoint", endpoint, "expected an http(s) URL or nothing"));
        }
        if !(0.0..=1.0).contains(&self.telemetry.sample_ratio) {
            return Err(ConfigError::key("telemetry.sample_ratio", self.telemetry.sample_ratio, "must be 0.0 to 1.0"));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::key("database.max_connections", 0, "must be at least 1"));
        }
        if self.workers > 1024 {
            return Err(ConfigError::key("workers", self.workers, "must be 0 (one per core) to 1024"));
        }
        if self.http.request_timeout_secs == 0 {
            return Err(ConfigError::key("http.request_timeout_secs", 0, "must be at least 1"));
        }
        if self.http.body_limit_bytes < 1024 {
            return Err(ConfigError::key("http.body_limit_bytes", self.http.body_limit_bytes, "must be at least 1024"));
        }
        if let Some(bad) = self.http.ops_addresses.iter().find(|a| parse_network(a).is_none()) {
            return Err(ConfigError::key("http.ops_addresses", bad, "expected addresses or CIDRs like 10.0.0.0/8"));
        }
        if let Some(bad) = self.http.trusted_proxies.iter().find(|a| parse_network(a).is_none()) {
            return Err(ConfigError::key("http.trusted_proxies", bad, "expected addresses or CIDRs like 10.0.0.0/8"));
        }
        if self.http.rate_limit_per_second > 0 && self.http.rate_limit_burst == 0 {
            return Err(ConfigError::key("http.rate_limit_burst", 0, "must be at least 1 when rate limiting is on"));
        }
        if self.events.relay_batch == 0 || self.events.relay_interval_ms == 0 {
            return Err(ConfigError::key("events.relay_batch/relay_interval_ms", 0, "must both be at least 1"));
        }
        if !(1..=256).contains(&self.events.consumer_lanes) {
            return Err(ConfigError::key("events.consumer_lanes", self.events.consumer_lanes, "must be 1 to 256"));
        }
        if !(1..=1000).contains(&self.events.max_attempts) {
            return Err(ConfigError::key("events.max_attempts", self.events.max_attempts, "must be 1 to 1000"));
        }
        if self.events.retry_first_ms == 0 || self.events.retry_max_ms < self.events.retry_first_ms {
            return Err(ConfigError::key(
                "events.retry_first_ms/retry_max_ms",
                (self.events.retry_first_ms, self.events.retry_max_ms),
                "the first pause must be at least 1 and the longest at least the first",
            ));
        }
        if !(60..=86_400).contains(&self.auth.access_token_ttl_secs) {
            return Err(ConfigError::key(
                "auth.access_token_ttl_secs",
                self.auth.access_token_ttl_secs,
                "must be between 60 and 86400",
            ));
        }
        // `mail.url` and `mail.from` are checked by `mail::Mailer::new` when a service that
        // sends mail starts: only those need them, and the check stays next to the transports.
        if !self.auth.jwks_url.is_empty() && !self.auth.jwks_url.starts_with("http") {
            return Err(ConfigError::key("auth.jwks_url", &self.auth.jwks_url, "must be an http(s) URL"));
        }
        if !matches!(self.log.format, LogFormat::Text | LogFormat::Json) {
            unreachable!("serde rejects other formats");
        }
        tracing_subscriber::EnvFilter::try_new(&self.log.level)
            .map_err(|e| ConfigError::key("log.level", &self.log.level, &format!("not a log filter: {e}")))?;
        Ok(())
    }

    /// Runtime worker threads after resolving `0` to the core count.
    pub fn worker_threads(&self) -> usize {
        if self.workers == 0 { num_cpus::get().max(1) } else { self.workers }
    }

    /// Where service `name` keeps its relational data.
    pub fn database_for(&self, service: &str) -> DatabaseLocation {
        let (key, url) = match self.services.get(service).and_then(|o| o.database_url.as_deref()) {
            Some(url) => (format!("services.{service}.database_url"), url),
            None => ("database.url".to_owned(), self.database.url.as_str()),
        };
        parse_database_url(&key, url, &self.data_dir, service).expect("validated at load")
    }

    pub fn events_location(&self) -> Result<EventsLocation, ConfigError> {
        match self.events.url.as_str() {
            "" | "memory" => Ok(EventsLocation::InProcess),
            url if url.starts_with("nats://") || url.starts_with("tls://") => Ok(EventsLocation::Nats(url.to_owned())),
            other => Err(ConfigError::key("events.url", other, "expected `memory` or nats://host:port")),
        }
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.http.request_timeout_secs)
    }

    /// The configuration with every password in a URL replaced by `***`.
    pub fn redacted(&self) -> Config {
        let mut shown = self.clone();
        shown.database.url = redact_url(&shown.database.url);
        shown.events.url = redact_url(&shown.events.url);
        if !shown.http.ops_token.is_empty() {
            shown.http.ops_token = "***".into();
        }
        if !shown.auth.internal_token.is_empty() {
            shown.auth.internal_token = "***".into();
        }
        for overrides in shown.services.values_mut() {
            overrides.database_url = overrides.database_url.as_deref().map(redact_url);
        }
        shown.mail.url = redact_url(&shown.mail.url);
        shown
    }
}

fn parse_database_url(key: &str, url: &str, data_dir: &Path, service: &str) -> Result<DatabaseLocation, ConfigError> {
    if url.is_empty() {
        return Ok(DatabaseLocation::Sqlite(data_dir.join(format!("{service}.db"))));
    }
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let dir = if rest.is_empty() { data_dir.to_path_buf() } else { PathBuf::from(rest) };
        return Ok(DatabaseLocation::Sqlite(dir.join(format!("{service}.db"))));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(DatabaseLocation::Postgres { url: url.to_owned(), schema: service.to_owned() });
    }
    Err(ConfigError::key(
        key,
        redact_url(url),
        "expected empty (SQLite under data_dir), sqlite://DIR or postgres://user@host/db",
    ))
}

/// Replaces the password of `scheme://user:password@host` with `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::Serialized;

    use super::*;

    #[test]
    fn embedded_defaults_derive_from_the_data_dir() {
        let config = Config { data_dir: "/srv/riffle".into(), ..Config::default() };
        assert_eq!(config.database_for("identity"), DatabaseLocation::Sqlite("/srv/riffle/identity.db".into()));
        assert_eq!(config.events_location().unwrap(), EventsLocation::InProcess);
    }

    #[test]
    fn a_service_override_wins_over_the_shared_url() {
        let mut config = Config {
            database: DatabaseConfig { url: "postgres://h/db".into(), max_connections: 4 },
            ..Config::default()
        };
        config.services.insert("feed".into(), ServiceOverrides { database_url: Some("sqlite:///tmp/x".into()) });
        assert_eq!(config.database_for("feed"), DatabaseLocation::Sqlite("/tmp/x/feed.db".into()));
        assert_eq!(
            config.database_for("identity"),
            DatabaseLocation::Postgres { url: "postgres://h/db".into(), schema: "identity".into() }
        );
    }

    #[test]
    fn a_bad_url_names_the_key() {
        let config =
            Config { database: DatabaseConfig { url: "mysql://x".into(), max_connections: 1 }, ..Config::default() };
        let message = config.validate().unwrap_err().to_string();
        assert!(message.contains("`database.url`"), "{message}");
        assert!(message.contains("postgres://"), "{message}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("nats://h:4222"), "nats://h:4222");
        let config = Config {
            database: DatabaseConfig { url: "postgres://u:hunter2@h/db".into(), max_connections: 1 },
            ..Config::default()
        };
        assert!(!config.redacted().database.url.contains("hunter2"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's signature, not ours
    fn unknown_top_level_keys_are_refused_and_sections_accepted() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("riffle.toml", "workers = 1\n[content]\nmax_post_chars = 9\n")?;
            let figment = layers(None, Figment::new()).unwrap();
            assert!(check_keys(&figment, &["content"]).is_ok());
            let err = check_keys(&figment, &[]).unwrap_err().to_string();
            assert!(err.contains("unknown key `content`"), "{err}");
            jail.create_file("riffle.toml", "wrokers = 1\n")?;
            let err = check_keys(&layers(None, Figment::new()).unwrap(), &["content"]).unwrap_err().to_string();
            assert!(err.contains("`wrokers`") && err.contains("workers"), "{err}");
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's signature, not ours
    fn layers_apply_in_order_and_bad_values_name_their_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("riffle.toml", "workers = 3\n[http]\nrate_limit_per_second = 7\n")?;
            jail.set_env("RIFFLE_HTTP__RATE_LIMIT_PER_SECOND", "9");
            let flags = Figment::from(Serialized::default("workers", 5));
            let config = Config::from_layers(&layers(None, flags).unwrap()).map_err(|e| e.to_string())?;
            assert_eq!(config.workers, 5, "flags beat the file");
            assert_eq!(config.http.rate_limit_per_second, 9, "env beats the file");
            jail.set_env("RIFFLE_WORKERS", "many");
            let err = Config::from_layers(&layers(None, Figment::new()).unwrap()).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("workers") && err.contains("RIFFLE_"), "{err}");
            Ok(())
        });
    }
}
