//! The crawler service: external feeds and websites as sources, so that a new instance has
//! content from its first minute and people follow a blog as they follow a person.
//!
//! A source is an account (kind `source`, made by identity from `crawler.source.created`); its
//! entries become that account's posts (made by content from `crawler.entry.published`), and a
//! subscription is a follow of the account (made by graph from `crawler.subscription.created`).
//! The crawler never writes another service's tables.
//!
//! # Layout
//! * `domain`: source URLs, character decoding, feed parsing (feed-rs), sanitizing (ammonia),
//!   autodiscovery, OPML, the schedule, the error. Pure.
//! * `fetch`: the HTTP client and the SSRF guard every request goes through.
//! * `store`: the only SQL: sources (with their schedule and leases), entries, subscriptions.
//! * `crawl`: one fetch of one source, start to end; adding a source from a pasted URL.
//! * `site`: crawling a website without a feed (robots.txt, sitemaps, links, main text).
//! * `websub`: subscribing to hubs, verification of intent, pushed content.
//! * `hosts`: per-host concurrency and delay. `jobs`: the scheduler. `seed`: sources from an
//!   OPML list at start (`crawler.seed_opml`) or from `riffle crawl seed`.
//! * `ingest`: identity's events (usernames of source accounts, deleted accounts) and graph's
//!   follows (subscriptions made by following a source's account).
//! * `api`: HTTP handlers and the one mapping of errors to answers.
//!
//! Dependencies point down: `api`, `jobs` and `ingest` → `crawl`, `site`, `websub` → `fetch`, `hosts`,
//! `store` → `domain`.

mod api;
pub mod config;
mod crawl;
mod domain;
pub mod fetch;
mod hosts;
mod ingest;
mod jobs;
pub mod seed;
mod site;
mod store;
mod websub;

use std::{sync::Arc, time::Duration};

use contracts::{EventFamily, identity::IdentityEvent};
use platform::{Mounted, Runtime, ingest::handler};
use sqlx::migrate::Migrator;

pub use crate::config::CrawlerConfig;
use crate::{fetch::Fetcher, hosts::Hosts, store::Store};

pub const NAME: &str = "crawler";

/// Portable SQL, applied as is on SQLite and PostgreSQL.
pub static MIGRATIONS: Migrator = sqlx::migrate!();

/// Everything the crawler's handlers and jobs share.
struct Crawler {
    store: Store,
    config: CrawlerConfig,
    fetcher: Fetcher,
    hosts: Hosts,
    robots: site::RobotsCache,
    /// Where this instance is reached (WebSub callbacks, the User-Agent).
    public_url: String,
    /// Wakes the scheduler when sources become due outside its rhythm (added, enabled).
    wake: tokio::sync::Notify,
}

impl Crawler {
    fn new(store: Store, config: &CrawlerConfig, public_url: &str) -> anyhow::Result<Crawler> {
        let fetcher = Fetcher::new(config, public_url, Arc::new(fetch::guard::SystemResolver))?;
        let hosts = Hosts::new(config.per_host_concurrency, Duration::from_millis(config.per_host_delay_ms));
        Ok(Crawler {
            store,
            config: config.clone(),
            fetcher,
            hosts,
            robots: site::RobotsCache::default(),
            public_url: public_url.to_owned(),
            wake: tokio::sync::Notify::new(),
        })
    }
}

/// The parsing path alone, for benchmarks (`examples/parse_bench.rs`).
pub mod bench {
    /// Parses a fetched feed as a fetch does (decoding, feed-rs, sanitizing, plain text) and
    /// makes each entry's dedup key and post text; returns how many entries it has.
    pub fn parse(bytes: &[u8], url: &url::Url) -> anyhow::Result<usize> {
        let feed = crate::domain::parse::feed(bytes, None, url)?;
        for entry in &feed.entries {
            std::hint::black_box((entry.key(), entry.content_hash(), entry.post_text(500)));
        }
        Ok(feed.entries.len())
    }
}

/// The OpenAPI description of the crawler's routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

pub async fn mount(runtime: &Runtime, config: &CrawlerConfig) -> anyhow::Result<Mounted> {
    let opened = runtime.open(NAME, &MIGRATIONS).await?;
    let store = opened.writer.clone();
    let db = opened.db().clone();
    let crawler = Arc::new(Crawler::new(store.clone(), config, &runtime.config.public_url)?);
    if !config.seed_opml.is_empty() {
        let created = seed::from_config(&crawler, &config.seed_opml).await?;
        tracing::info!(created, from = %config.seed_opml, "seed sources created");
    }
    let mut background = Vec::new();
    if config.enabled {
        background.push(platform::service::task(jobs::schedule(Arc::clone(&crawler), runtime.shutdown.clone())));
    }
    Ok(Mounted {
        name: NAME,
        routes: api::routes().with_state(crawler),
        probes: vec![Runtime::database_probe(&db)],
        subscriptions: vec![
            platform::service::subscription(
                ingest::identity::CONSUMER,
                &[IdentityEvent::TOPICS],
                handler(ingest::identity::CONSUMER, ingest::identity::Accounts(store.clone())),
                &db,
            ),
            platform::service::subscription(
                ingest::graph::CONSUMER,
                ingest::graph::TOPICS,
                handler(ingest::graph::CONSUMER, ingest::graph::Follows(store)),
                &db,
            ),
        ],
        relay: Some(opened.relay),
        background,
        database: Some(db),
    })
}
