//! One fetch of one source, start to end: the host's turn, the request (conditional unless an
//! unconditional one is due), parsing, deduplication, the events for new and changed entries,
//! and the next fetch's time, all recorded in one change. Also how a URL someone pastes
//! becomes a source: the feed itself, or the feed its page names, or one at a common path.

use std::{
    collections::HashSet,
    time::{Duration, Instant},
};

use base64::Engine as _;
use contracts::crawler::{CrawlerEvent, Entries, Entry, MAX_AVATAR_BYTES, MAX_ENTRIES_PER_EVENT};
use platform::{Change, db::now_ms};
use url::Url;
use uuid::Uuid;

use crate::{
    Crawler,
    domain::{
        CrawlerError, article, discover,
        parse::{self, ParsedEntry, ParsedFeed},
        schedule::{self, Policy},
        source_url,
    },
    fetch::{FetchError, Fetched, Validators},
    store::{
        entries,
        sources::{self, AvatarBytes, FetchedAvatar, Kind, NewSource, Source, Success},
        subscriptions,
    },
};

/// The post length the crawler writes for (content cuts further if its limit is lower).
const POST_CHARS: usize = 500;
const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;
/// A 429 without `Retry-After` waits this long (TT-RSS).
const TOO_MANY_REQUESTS_WAIT: Duration = Duration::from_secs(3600);

/// What a URL someone pasted turned out to be.
#[expect(clippy::large_enum_variant, reason = "one per request that adds a source")]
pub(crate) enum Found {
    /// A feed: its URL (after permanent redirects), the fetch and what it holds.
    Feed(Url, Fetched, ParsedFeed),
    /// A website without a feed, to crawl: its URL and name.
    Site(Url, String),
}

impl Crawler {
    fn policy(&self) -> Policy {
        Policy {
            min: Duration::from_secs(self.config.min_interval_secs),
            max: Duration::from_secs(self.config.max_interval_secs),
            disable_after: self.config.disable_after_failures,
        }
    }

    /// Fetches `url` in its host's turn.
    pub(crate) async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let _turn = self.hosts.turn(url.host_str().unwrap_or("")).await;
        let started = Instant::now();
        let result = self.fetcher.get(url, validators).await;
        metrics::histogram!("riffle_crawler_fetch_seconds").record(started.elapsed().as_secs_f64());
        let outcome = match &result {
            Ok(fetched) if fetched.body.is_none() => "not_modified",
            Ok(_) => "fetched",
            Err(FetchError::Refused(_)) => "refused",
            Err(FetchError::Timeout(_)) => "timeout",
            Err(FetchError::TooLarge(_)) => "too_large",
            Err(FetchError::Network(_)) => "network_error",
            Err(_) => "http_error",
        };
        metrics::counter!("riffle_crawler_fetches_total", "outcome" => outcome).increment(1);
        if let Ok(Fetched { body: Some(body), .. }) = &result {
            metrics::counter!("riffle_crawler_fetched_bytes_total").increment(body.len() as u64);
        }
        result
    }

    /// What `url` is: a feed; else, for a web page, the first feed the page names, else the
    /// first common feed path that answers with a feed; else, when the page links to others of
    /// its site (or has a sitemap) and robots.txt lets us in, a site to crawl.
    pub(crate) async fn discover(&self, url: &Url) -> Result<Found, CrawlerError> {
        let fetched = self.fetch(url, &Validators::default()).await.map_err(refusal)?;
        let body = fetched.body.clone().unwrap_or_default();
        let here = fetched.url.clone();
        if !discover::is_html(fetched.content_type.as_deref(), &body) {
            let parsed = self.parse(&fetched, &body)?;
            return Ok(Found::Feed(fetched.moved_to.clone().unwrap_or_else(|| url.clone()), fetched, parsed));
        }
        let (page, _) = crate::domain::decode::decode(&body, fetched.content_type.as_deref());
        let named = discover::feed_links(&page, &here);
        let common = discover::common_feed_urls(&here);
        let mut last_error = None;
        for candidate in named.iter().cloned().chain(common).take(16) {
            match self.fetch(&candidate, &Validators::default()).await {
                Ok(found) => {
                    let body = found.body.clone().unwrap_or_default();
                    if discover::is_html(found.content_type.as_deref(), &body) {
                        continue;
                    }
                    match self.parse(&found, &body) {
                        Ok(parsed) => {
                            return Ok(Found::Feed(found.moved_to.clone().unwrap_or(candidate), found, parsed));
                        }
                        Err(err) => last_error = Some(err),
                    }
                }
                Err(FetchError::Refused(why)) => return Err(CrawlerError::Denied(why)),
                Err(_) => {}
            }
        }
        if let Some(err) = last_error.filter(|_| !named.is_empty()) {
            return Err(err);
        }
        let front = article::read(&page, &here);
        if self.crawlable(&here, &front).await {
            let title = front.site_name.unwrap_or_default();
            return Ok(Found::Site(fetched.moved_to.unwrap_or(here), title));
        }
        Err(CrawlerError::NotAFeed(
            "this page names no feed, none was found at the usual paths, and it links to no other page of \
             its site that robots.txt lets us crawl"
                .into(),
        ))
    }

    fn parse(&self, fetched: &Fetched, body: &[u8]) -> Result<ParsedFeed, CrawlerError> {
        parse::feed(body, fetched.content_type.as_deref(), &fetched.url).inspect_err(|_| {
            metrics::counter!("riffle_crawler_parse_errors_total").increment(1);
        })
    }

    /// Adds the feed at `url` (or that its page names) and subscribes `user` to it; an existing
    /// source of the same feed is reused. `true` when the source is new.
    pub(crate) async fn add(&self, user: Uuid, url: &Url) -> Result<(Source, bool), CrawlerError> {
        if let Some(existing) = sources::by_feed_url(&self.store, url).await? {
            self.subscribe(user, &existing).await?;
            return Ok((existing, false));
        }
        let (feed_url, fetched, parsed) = match self.discover(url).await? {
            Found::Feed(feed_url, fetched, parsed) => (feed_url, fetched, parsed),
            Found::Site(site, title) => return self.add_site(user, &site, &title).await,
        };
        if let Some(existing) = sources::by_feed_url(&self.store, &feed_url).await? {
            self.subscribe(user, &existing).await?;
            return Ok((existing, false));
        }
        let avatar = self.new_avatar(None, parsed.image_url.as_ref()).await;
        let mut change = self.store.begin().await?;
        let new = NewSource {
            kind: Kind::Feed,
            feed_url: &feed_url,
            title: &parsed.title,
            description: &parsed.description,
            home_url: parsed.home_url.as_deref(),
            next_fetch_at_ms: now_ms(),
        };
        let (source, created) = sources::create_in(&mut change, new).await?;
        if created {
            if let Some(avatar) = &avatar {
                sources::avatar_in(&mut change, &source, avatar).await?;
            }
            let added = self.apply(&mut change, &source, &parsed, true).await?;
            self.schedule_success(&mut change, &source, &fetched, parsed.ttl, added, true).await?;
        }
        subscriptions::add_in(&mut change, user, &source).await?;
        change.commit().await?;
        if created {
            self.websub_subscribe(&source, &parsed).await;
        }
        let source = sources::by_id(&self.store, source.id).await?.ok_or(CrawlerError::NoSuchSource)?;
        Ok((source, created))
    }

    /// Adds a site source, crawled by the scheduler at once (a crawl is many fetches, spaced
    /// out: not something to wait for in a request).
    async fn add_site(&self, user: Uuid, site: &Url, title: &str) -> Result<(Source, bool), CrawlerError> {
        if let Some(existing) = sources::by_feed_url(&self.store, site).await? {
            self.subscribe(user, &existing).await?;
            return Ok((existing, false));
        }
        let mut change = self.store.begin().await?;
        let home_url = site.to_string();
        let new = NewSource {
            kind: Kind::Site,
            feed_url: site,
            title,
            description: "",
            home_url: Some(&home_url),
            next_fetch_at_ms: now_ms(),
        };
        let (source, created) = sources::create_in(&mut change, new).await?;
        subscriptions::add_in(&mut change, user, &source).await?;
        change.commit().await?;
        self.wake.notify_one();
        Ok((source, created))
    }

    pub(crate) async fn subscribe(&self, user: Uuid, source: &Source) -> Result<(), CrawlerError> {
        let mut change = self.store.begin().await?;
        subscriptions::add_in(&mut change, user, source).await?;
        Ok(change.commit().await?)
    }

    /// Creates a source for a feed URL without fetching it (OPML import, seeding): it is due at
    /// once and backfilled on its first fetch. `user` is subscribed when given.
    pub(crate) async fn add_unfetched(
        &self,
        user: Option<Uuid>,
        url: &Url,
        title: &str,
    ) -> Result<(Source, bool), CrawlerError> {
        let mut change = self.store.begin().await?;
        let new = NewSource {
            kind: Kind::Feed,
            feed_url: url,
            title,
            description: "",
            home_url: None,
            next_fetch_at_ms: now_ms(),
        };
        let (source, created) = sources::create_in(&mut change, new).await?;
        if let Some(user) = user {
            subscriptions::add_in(&mut change, user, &source).await?;
        }
        change.commit().await?;
        Ok((source, created))
    }

    /// Fetches a leased source and records the outcome (its lease ends with it). `forced`
    /// skips the validators, as a refresh asked for by hand does.
    pub(crate) async fn refresh(&self, source: &Source, forced: bool) -> Result<Option<String>, CrawlerError> {
        let now = now_ms();
        let unconditional_due = source
            .last_unconditional_at_ms
            .is_none_or(|at| now - at >= (self.config.unconditional_every_secs * 1000) as i64);
        let unconditional = forced || unconditional_due;
        let first = source.last_success_at_ms.is_none();
        let result = match source.kind {
            Kind::Feed => self.fetch_feed(source, unconditional).await,
            Kind::Site => {
                let limit = if first { self.config.backfill_entries } else { self.config.max_pages_per_crawl };
                self.crawl_site(source, limit)
                    .await
                    .map(|crawled| (crawled.home, Some(crawled.feed), crawled.not_articles))
            }
        };
        match result {
            Ok((fetched, parsed, not_articles)) => {
                let image = parsed.as_ref().and_then(|p| p.image_url.as_ref());
                let avatar = self.new_avatar(source.avatar_url.as_deref(), image).await;
                let mut change = self.store.begin().await?;
                if let Some(avatar) = &avatar {
                    sources::avatar_in(&mut change, source, avatar).await?;
                }
                let new_entries = match &parsed {
                    Some(parsed) => {
                        sources::update_profile_in(
                            &mut change,
                            source,
                            &parsed.title,
                            &parsed.description,
                            parsed.home_url.as_deref(),
                        )
                        .await?;
                        self.apply(&mut change, source, parsed, first).await?
                    }
                    None => 0,
                };
                for page in &not_articles {
                    entries::insert_in(&mut change, source.id, page, false).await?;
                }
                let ttl = parsed.as_ref().and_then(|p| p.ttl);
                self.schedule_success(&mut change, source, &fetched, ttl, new_entries, unconditional).await?;
                change.commit().await?;
                if let Some(parsed) = &parsed {
                    self.websub_subscribe(source, parsed).await;
                }
                metrics::counter!("riffle_crawler_entries_total").increment(new_entries as u64);
                Ok(None)
            }
            Err(err) => {
                let message = err.to_string();
                self.record_failure(source, &err).await?;
                Ok(Some(message))
            }
        }
    }

    /// The image a feed or site names, fetched when it is not the one fetched `before` (here,
    /// outside any change); its bytes are `None` when it could not be fetched or is no image
    /// of a size an event carries.
    async fn new_avatar(&self, before: Option<&str>, image: Option<&Url>) -> Option<FetchedAvatar> {
        let image = image.filter(|u| before != Some(u.as_str()))?;
        let fetched = self.fetch(image, &Validators::default()).await.ok();
        let bytes = fetched.and_then(|f| {
            let body = f.body?;
            let image_type =
                f.content_type.as_deref().is_none_or(|t| t.trim().to_ascii_lowercase().starts_with("image/"));
            (image_type && !body.is_empty() && body.len() <= MAX_AVATAR_BYTES).then(|| AvatarBytes {
                media_type: f.content_type,
                data: base64::engine::general_purpose::STANDARD.encode(&body),
            })
        });
        Some(FetchedAvatar { url: image.clone(), bytes })
    }

    /// Fetches a feed source (conditionally unless `unconditional`) and parses what changed.
    async fn fetch_feed(
        &self,
        source: &Source,
        unconditional: bool,
    ) -> Result<(Fetched, Option<ParsedFeed>, Vec<ParsedEntry>), FetchError> {
        let url = source.url().map_err(|e| FetchError::Unreadable(e.to_string()))?;
        let validators = if unconditional { Validators::default() } else { source.validators.clone() };
        let fetched = self.fetch(&url, &validators).await?;
        let parsed = match fetched.body.clone() {
            Some(body) => Some(self.parse(&fetched, &body).map_err(|err| FetchError::Unreadable(err.to_string()))?),
            None => None,
        };
        Ok((fetched, parsed, Vec::new()))
    }

    async fn record_failure(&self, source: &Source, err: &FetchError) -> Result<(), CrawlerError> {
        let now = now_ms();
        let failures = u32::try_from(source.failures + 1).unwrap_or(u32::MAX);
        let failing_for = Duration::from_millis((now - source.failing_since_ms.unwrap_or(now)).max(0) as u64);
        let hint = match err {
            FetchError::TooManyRequests { retry_after: None } => Some(TOO_MANY_REQUESTS_WAIT),
            other => other.retry_after(),
        };
        let after = schedule::after_failure(&self.policy(), failures, failing_for, hint);
        let reason = match err {
            FetchError::Gone => Some("the server says the feed is gone (410)".to_owned()),
            _ if after.disable => Some(format!("{failures} failed fetches in a row")),
            _ => None,
        };
        let next = now + after.wait.as_millis() as i64;
        sources::failed(&self.store, source.id, &err.to_string(), next, reason.as_deref()).await
    }

    /// Records the entries of a feed inside `change`: new ones (on the first fetch, only the
    /// newest `backfill_entries` become posts) and changed ones, with their events.
    pub(crate) async fn apply(
        &self,
        change: &mut Change,
        source: &Source,
        parsed: &ParsedFeed,
        first: bool,
    ) -> Result<usize, CrawlerError> {
        // Oldest first, so that posts are made in the order the source published them; feeds
        // list newest first, and entries without a date keep that order, reversed.
        let mut ordered: Vec<&ParsedEntry> = parsed.entries.iter().rev().collect();
        ordered.sort_by_key(|e| e.published_at_ms.unwrap_or(i64::MIN));
        let keys: Vec<String> = ordered.iter().map(|e| e.key()).collect();
        let seen = entries::seen_in(change, source.id, &keys).await?;
        let post_from = if first { ordered.len().saturating_sub(self.config.backfill_entries) } else { 0 };
        let mut done = HashSet::new();
        let (mut published, mut revised, mut added) = (Vec::new(), Vec::new(), 0);
        for (i, (entry, key)) in ordered.iter().zip(&keys).enumerate() {
            if !done.insert(key) {
                continue;
            }
            match seen.get(key) {
                None => {
                    let posted = i >= post_from;
                    let id = entries::insert_in(change, source.id, entry, posted).await?;
                    if posted {
                        let same_as = match &entry.url {
                            Some(url) => {
                                entries::posted_elsewhere_in(change, source.id, &source_url::canonical(url)).await?
                            }
                            None => None,
                        };
                        published.push(Entry { same_as, ..event(id, source, entry) });
                    }
                    added += 1;
                }
                Some(before) if before.content_hash != entry.content_hash() => {
                    entries::update_in(change, before.id, entry).await?;
                    if before.posted {
                        revised.push(event(before.id, source, entry));
                    }
                }
                Some(_) => {}
            }
        }
        for batch in published.chunks(MAX_ENTRIES_PER_EVENT) {
            change.emit(&CrawlerEvent::EntriesPublished(Entries { entries: batch.to_vec() })).await?;
        }
        for batch in revised.chunks(MAX_ENTRIES_PER_EVENT) {
            change.emit(&CrawlerEvent::EntriesRevised(Entries { entries: batch.to_vec() })).await?;
        }
        Ok(added)
    }

    async fn schedule_success(
        &self,
        change: &mut Change,
        source: &Source,
        fetched: &Fetched,
        ttl: Option<Duration>,
        added: usize,
        unconditional: bool,
    ) -> Result<(), CrawlerError> {
        let now = now_ms();
        let weekly = entries::count_since_in(change, source.id, now - WEEK_MS).await?;
        let hint = [fetched.hint, ttl].into_iter().flatten().max();
        let interval = schedule::jittered(schedule::after_success(&self.policy(), weekly, hint), fastrand::f64());
        let success = Success {
            validators: &fetched.validators,
            unconditional,
            next_fetch_at_ms: now + interval.as_millis() as i64,
            moved_to: fetched.moved_to.as_ref(),
            new_entries: added as i64,
        };
        sources::succeeded_in(change, source.id, success).await
    }
}

/// A fetch error as an API answer: a refused address is the caller's mistake, said so.
fn refusal(err: FetchError) -> CrawlerError {
    match err {
        FetchError::Refused(why) => CrawlerError::Denied(why),
        other => CrawlerError::Fetch(format!("could not fetch it: {other}")),
    }
}

fn event(id: Uuid, source: &Source, entry: &ParsedEntry) -> Entry {
    Entry {
        entry_id: id,
        account_id: source.account_id,
        text: entry.post_text(POST_CHARS),
        url: entry.url.as_ref().map(Url::to_string),
        language: entry.language.clone(),
        published_at_ms: entry.published_at_ms,
        attachments: entry.attachments.clone(),
        same_as: None,
    }
}
