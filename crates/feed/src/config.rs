//! The feed's section of the configuration: `[timelines]`.

use serde::{Deserialize, Serialize};

use platform::config::{ConfigError, redact_url};

/// `[timelines]`: where timelines live, how long they are, and how fan-out works.
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
    /// Live streams (server-sent events) one user may hold open at once in a process.
    pub streams_per_user: usize,
    /// Live streams one address (an IPv6 address's /64) may hold open at once in a process.
    pub streams_per_address: usize,
    /// Live streams a process holds open at most; more are answered 503 with `Retry-After`.
    pub streams_total: usize,
    /// Seconds between heartbeats (SSE comments) on an idle live stream.
    pub stream_heartbeat_secs: u64,
    /// A tag nobody follows loses its timeline after this many days without a post (a later
    /// post or read makes it again from the database).
    pub tag_idle_days: u64,
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
            streams_per_user: 8,
            streams_per_address: 32,
            streams_total: 10_000,
            stream_heartbeat_secs: 15,
            tag_idle_days: 30,
        }
    }
}

impl TimelinesConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.url.is_empty() || self.url.starts_with("redis://") || self.url.starts_with("rediss://")) {
            return Err(ConfigError::key(
                "timelines.url",
                redact_url(&self.url),
                "expected empty (embedded) or redis://host:port/db",
            ));
        }
        if self.cap == 0 || self.public_cap == 0 {
            return Err(ConfigError::key("timelines.cap/public_cap", 0, "must be at least 1"));
        }
        if self.streams_per_user == 0 || self.streams_per_address == 0 || self.streams_total == 0 {
            return Err(ConfigError::key(
                "timelines.streams_per_user/streams_per_address/streams_total",
                0,
                "must be at least 1",
            ));
        }
        if self.tag_idle_days == 0 {
            return Err(ConfigError::key("timelines.tag_idle_days", 0, "must be at least 1"));
        }
        if !(1..=300).contains(&self.stream_heartbeat_secs) {
            return Err(ConfigError::key(
                "timelines.stream_heartbeat_secs",
                self.stream_heartbeat_secs,
                "must be 1 to 300",
            ));
        }
        Ok(())
    }

    /// The same, with the password of the URL replaced by `***`, for `riffle config`.
    pub fn redacted(&self) -> TimelinesConfig {
        TimelinesConfig { url: redact_url(&self.url), ..self.clone() }
    }
}
