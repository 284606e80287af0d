//! Typed, layered configuration.
//!
//! Layers, each overriding the one before: built-in defaults, then `riffle.toml` (or the file
//! named by `--config`), then `RIFFLE_*` environment variables (`RIFFLE_SECTION__KEY`, e.g.
//! `RIFFLE_DATABASE__URL`), then command-line flags. Every embedded default derives from
//! `data_dir`, so a fresh machine needs no configuration at all.
//!
//! Values are checked once, here, at startup: a bad value stops the process with a message that
//! names the key and says what is allowed, instead of surfacing later as a confusing runtime error.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

/// The whole effective configuration of one `riffle` process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    pub database: DatabaseConfig,
    pub events: EventsConfig,
    pub http: HttpConfig,
    pub auth: AuthConfig,
    pub content: ContentConfig,
    pub media: MediaConfig,
    pub timelines: TimelinesConfig,
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
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentConfig {
    /// Longest post, in Unicode characters (not bytes).
    pub max_post_chars: usize,
    /// Most media attachments on one post.
    pub max_media_per_post: usize,
}

impl Default for ContentConfig {
    fn default() -> Self {
        Self { max_post_chars: 500, max_media_per_post: 4 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Empty: `<data_dir>/media`. `file:///DIR`, or `s3://BUCKET?endpoint=URL&region=REGION` for
    /// any S3-compatible store.
    pub url: String,
    /// S3 credentials; empty means the `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` variables.
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    pub max_audio_bytes: u64,
    pub max_document_bytes: u64,
    /// Images with more pixels are refused (decompression bombs).
    pub max_image_pixels: u64,
    /// Uploads not attached to a post within this time are deleted (checked at start and hourly).
    pub unattached_ttl_secs: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            url: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            max_image_bytes: 20 * MIB,
            max_video_bytes: 2048 * MIB,
            max_audio_bytes: 200 * MIB,
            max_document_bytes: 50 * MIB,
            max_image_pixels: 50_000_000,
            unattached_ttl_secs: 24 * 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimelinesConfig {
    /// Empty: Riffle's own engine in process, snapshotted to `<data_dir>/timelines.snapshot`.
    /// `redis://host:port/db`: Redis.
    pub url: String,
    /// Entries kept per user, tag and home timeline; older pages come from the database.
    pub cap: usize,
    /// Entries kept in the public stream.
    pub public_cap: usize,
    /// Prefix of every Redis key, so deployments can share a Redis.
    pub key_prefix: String,
    /// Accounts with more followers than this are not pushed into their followers' home
    /// timelines; their posts are merged in when a home timeline is read (hybrid fan-out).
    pub fanout_threshold: u64,
    /// Users who have not read their home timeline for this long get no fan-out; their next read
    /// rebuilds it at once. 0 never skips.
    pub inactive_after_secs: u64,
    /// Posts the feed keeps ready to serve in memory (about 1 KiB each). An edit reaches a
    /// replica's cache through its own events at once, and other replicas' within 10 seconds.
    pub post_cache_entries: usize,
}

impl Default for TimelinesConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            cap: 800,
            public_cap: 10_000,
            key_prefix: "riffle:".into(),
            fanout_threshold: 10_000,
            inactive_after_secs: 30 * 24 * 3600,
            post_cache_entries: 100_000,
        }
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
            database: DatabaseConfig::default(),
            events: EventsConfig::default(),
            http: HttpConfig::default(),
            auth: AuthConfig::default(),
            content: ContentConfig::default(),
            media: MediaConfig::default(),
            timelines: TimelinesConfig::default(),
            services: BTreeMap::new(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self { format: LogFormat::Text, level: "info".into() }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: String::new(), max_connections: 16 }
    }
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self { url: "memory".into(), relay_interval_ms: 1000, relay_batch: 256, stream: "RIFFLE_EVENTS".into() }
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
        }
    }
}

/// A configuration that could not be loaded or failed validation. The message names the key.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    fn key(key: &str, value: impl std::fmt::Debug, allowed: &str) -> Self {
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

impl Config {
    /// Loads the layers. `file` is the `--config` flag; without it `riffle.toml` in the working
    /// directory is read if present. `flags` are the command line's overrides, applied last.
    pub fn load(file: Option<&Path>, flags: Figment) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError(format!("config file {} does not exist", path.display())));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("riffle.toml")),
        }
        let config: Config = figment
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
            .merge(flags)
            .extract()
            .map_err(|err| {
                let lines: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
                ConfigError(lines.join("; "))
            })?;
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
        if self.http.rate_limit_per_second > 0 && self.http.rate_limit_burst == 0 {
            return Err(ConfigError::key("http.rate_limit_burst", 0, "must be at least 1 when rate limiting is on"));
        }
        if self.events.relay_batch == 0 || self.events.relay_interval_ms == 0 {
            return Err(ConfigError::key("events.relay_batch/relay_interval_ms", 0, "must both be at least 1"));
        }
        if !(60..=86_400).contains(&self.auth.access_token_ttl_secs) {
            return Err(ConfigError::key(
                "auth.access_token_ttl_secs",
                self.auth.access_token_ttl_secs,
                "must be between 60 and 86400",
            ));
        }
        if !(1..=100_000).contains(&self.content.max_post_chars) {
            return Err(ConfigError::key("content.max_post_chars", self.content.max_post_chars, "must be 1 to 100000"));
        }
        if self.content.max_media_per_post > 16 {
            return Err(ConfigError::key(
                "content.max_media_per_post",
                self.content.max_media_per_post,
                "must be 0 to 16",
            ));
        }
        if !(self.media.url.is_empty() || self.media.url.starts_with("file://") || self.media.url.starts_with("s3://"))
        {
            return Err(ConfigError::key(
                "media.url",
                &self.media.url,
                "expected empty, file:///DIR or s3://BUCKET?endpoint=URL&region=R",
            ));
        }
        if !(self.timelines.url.is_empty()
            || self.timelines.url.starts_with("redis://")
            || self.timelines.url.starts_with("rediss://"))
        {
            return Err(ConfigError::key(
                "timelines.url",
                redact_url(&self.timelines.url),
                "expected empty (embedded) or redis://host:port/db",
            ));
        }
        if self.timelines.cap == 0 || self.timelines.public_cap == 0 {
            return Err(ConfigError::key("timelines.cap/public_cap", 0, "must be at least 1"));
        }
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

    /// The configuration as TOML, with every password in a URL replaced by `***`.
    pub fn to_redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database.url = redact_url(&shown.database.url);
        shown.events.url = redact_url(&shown.events.url);
        shown.timelines.url = redact_url(&shown.timelines.url);
        if !shown.media.s3_secret_access_key.is_empty() {
            shown.media.s3_secret_access_key = "***".into();
        }
        for overrides in shown.services.values_mut() {
            overrides.database_url = overrides.database_url.as_deref().map(redact_url);
        }
        toml::to_string_pretty(&shown).expect("config serializes")
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
        assert!(!config.to_redacted_toml().contains("hunter2"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment::Jail's signature, not ours
    fn layers_apply_in_order_and_bad_values_name_their_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("riffle.toml", "workers = 3\n[http]\nrate_limit_per_second = 7\n")?;
            jail.set_env("RIFFLE_HTTP__RATE_LIMIT_PER_SECOND", "9");
            let flags = Figment::from(Serialized::default("workers", 5));
            let config = Config::load(None, flags).map_err(|e| e.to_string())?;
            assert_eq!(config.workers, 5, "flags beat the file");
            assert_eq!(config.http.rate_limit_per_second, 9, "env beats the file");
            jail.set_env("RIFFLE_WORKERS", "many");
            let err = Config::load(None, Figment::new()).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("workers") && err.contains("RIFFLE_"), "{err}");
            Ok(())
        });
    }
}

#[cfg(test)]
mod example_file {
    use super::Config;

    /// `riffle.toml.example` documents every key with its default; this keeps it true.
    #[test]
    fn the_example_file_lists_the_real_defaults() {
        let example: Config = toml::from_str(include_str!("../../../riffle.toml.example")).expect("example parses");
        let as_json = |c: &Config| serde_json::to_value(c).unwrap();
        assert_eq!(as_json(&example), as_json(&Config::default()));
    }
}
