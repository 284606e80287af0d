//! `[crawler]`: what the crawler fetches, how often, and from where it may not.
//! The defaults follow Miniflux, CommaFeed and TT-RSS (`shared/reference`, crawler part).

use serde::{Deserialize, Serialize};

use platform::config::ConfigError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrawlerConfig {
    /// Fetch sources on schedule (the API still answers when off).
    pub enabled: bool,
    /// Fetches in flight at once, across all hosts.
    pub workers: usize,
    /// Fetches in flight at once to one host.
    pub per_host_concurrency: usize,
    /// Pause between two fetches from one host, in milliseconds.
    pub per_host_delay_ms: u64,
    /// Shortest interval between two scheduled fetches of a source, in seconds.
    pub min_interval_secs: u64,
    /// Longest interval, in seconds (also the interval of a source that publishes nothing).
    pub max_interval_secs: u64,
    /// A fetch without `If-None-Match`/`If-Modified-Since` at least this often, in seconds, for
    /// servers whose validators lie.
    pub unconditional_every_secs: u64,
    /// Whole fetch, in seconds.
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Largest body accepted, after decompression (a gzip bomb stops here).
    pub max_body_bytes: u64,
    pub max_redirects: usize,
    /// A subscriber may ask for a fetch by hand at most this often, in seconds (admins always).
    pub manual_refresh_secs: u64,
    /// Entries taken from a source when it is added (the newest); for a website without a
    /// feed, the pages its first crawl reads.
    pub backfill_entries: usize,
    /// Pages of a website without a feed read per later crawl (the newest not seen yet).
    pub max_pages_per_crawl: usize,
    /// The longest `Crawl-delay` of a robots.txt obeyed, in seconds (longer ones are cut to it).
    pub max_crawl_delay_secs: u64,
    /// Consecutive failures after which a source is disabled (shown to admins).
    pub disable_after_failures: u32,
    /// Allow fetches from loopback, private, link-local and other internal networks. Off: only
    /// the public internet (see `fetch::guard`).
    pub allow_private_networks: bool,
    /// `host` or `host:port` fetched even when it resolves to an internal address.
    pub allow_hosts: Vec<String>,
    /// Subscribe to the WebSub hub a feed names, so its new entries are pushed within a second
    /// (polling goes on as a fallback). Needs a `public_url` the hub can reach; never done when
    /// it is a loopback address.
    pub websub: bool,
    /// Lease asked of hubs, in seconds; renewed when a fetch finds it ending within a day.
    pub websub_lease_secs: u64,
    /// Sources to create at start: an OPML file's path or URL (empty: none).
    pub seed_opml: String,
    /// Most feeds one OPML import may subscribe to.
    pub max_import_feeds: usize,
    /// Largest OPML document accepted, in bytes.
    pub max_opml_bytes: usize,
}

impl Default for CrawlerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            workers: 16,
            per_host_concurrency: 2,
            per_host_delay_ms: 1_000,
            min_interval_secs: 15 * 60,
            max_interval_secs: 24 * 3600,
            unconditional_every_secs: 12 * 3600,
            timeout_secs: 20,
            connect_timeout_secs: 10,
            max_body_bytes: 15 * 1024 * 1024,
            max_redirects: 5,
            manual_refresh_secs: 30 * 60,
            backfill_entries: 20,
            max_pages_per_crawl: 10,
            max_crawl_delay_secs: 30,
            disable_after_failures: 10,
            allow_private_networks: false,
            allow_hosts: Vec::new(),
            websub: true,
            websub_lease_secs: 10 * 24 * 3600,
            seed_opml: String::new(),
            max_import_feeds: 1_000,
            max_opml_bytes: 1024 * 1024,
        }
    }
}

impl CrawlerConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value, range) in [
            ("crawler.workers", self.workers, 1..=1024),
            ("crawler.per_host_concurrency", self.per_host_concurrency, 1..=16),
            ("crawler.max_redirects", self.max_redirects, 0..=20),
            ("crawler.backfill_entries", self.backfill_entries, 0..=1000),
            ("crawler.max_pages_per_crawl", self.max_pages_per_crawl, 1..=1000),
            ("crawler.max_import_feeds", self.max_import_feeds, 1..=100_000),
        ] {
            if !range.contains(&value) {
                return Err(ConfigError::key(key, value, &format!("must be {} to {}", range.start(), range.end())));
            }
        }
        if self.min_interval_secs == 0 || self.min_interval_secs > self.max_interval_secs {
            return Err(ConfigError::key(
                "crawler.min_interval_secs",
                self.min_interval_secs,
                "must be at least 1 and at most crawler.max_interval_secs",
            ));
        }
        if self.timeout_secs == 0 || self.connect_timeout_secs == 0 {
            return Err(ConfigError::key("crawler.timeout_secs", self.timeout_secs, "timeouts must be at least 1"));
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::key("crawler.max_body_bytes", self.max_body_bytes, "must be at least 1024"));
        }
        if self.disable_after_failures == 0 {
            return Err(ConfigError::key("crawler.disable_after_failures", 0, "must be at least 1"));
        }
        Ok(())
    }
}
