//! Sources that are websites without a feed. A crawl reads the site's home page, its sitemaps
//! (from robots.txt, else `/sitemap.xml`) and the home page's links within the site, and
//! fetches the newest pages it has not seen, a few per crawl, each reduced to its main text
//! (`domain::article`). Page crawls honour robots.txt: a path it forbids is never fetched, and
//! its `Crawl-delay` spaces the pages out (capped by `crawler.max_crawl_delay_secs`).

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use texting_robots::Robot;
use url::Url;

use crate::{
    Crawler,
    domain::{
        article::{self, Page},
        decode, discover,
        parse::{ParsedEntry, ParsedFeed},
        sitemap, source_url,
    },
    fetch::{FetchError, Fetched, Validators},
    jobs,
    store::{entries, sources::Source},
};

/// The product token robots.txt rules name us by.
const ROBOTS_AGENT: &str = "Riffle";
/// How long a robots.txt is trusted; an unreachable one (which forbids all) is retried sooner.
const ROBOTS_TTL: Duration = Duration::from_secs(24 * 3600);
const ROBOTS_RETRY: Duration = Duration::from_secs(3600);
/// Sitemaps read per crawl (an index names many; the first ones are usually the newest).
const MAX_SITEMAPS: usize = 4;
/// Paths that are never pages.
const NOT_PAGES: &[&str] = &[
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".pdf", ".zip", ".gz", ".mp3", ".mp4", ".css", ".js",
    ".xml", ".json", ".txt",
];

/// A site's robots.txt, as far as we obey it.
enum Rules {
    /// None there (4xx): everything may be crawled.
    Open,
    /// It could not be read (5xx, network): nothing is crawled until it can (RFC 9309).
    Closed,
    Listed(Box<Robot>),
}

impl Rules {
    fn allows(&self, url: &Url) -> bool {
        match self {
            Rules::Open => true,
            Rules::Closed => false,
            Rules::Listed(robot) => robot.allowed(url.as_str()),
        }
    }

    fn delay(&self) -> Option<Duration> {
        match self {
            Rules::Listed(robot) => robot.delay.filter(|d| d.is_finite() && *d > 0.0).map(Duration::from_secs_f32),
            _ => None,
        }
    }

    fn sitemaps(&self, site: &Url) -> Vec<Url> {
        match self {
            Rules::Listed(robot) => robot.sitemaps.iter().filter_map(|s| site.join(s).ok()).collect(),
            _ => Vec::new(),
        }
    }
}

/// The robots.txt of each site recently crawled, by origin.
#[derive(Default)]
pub(crate) struct RobotsCache {
    by_origin: Mutex<HashMap<String, (Instant, Arc<Rules>)>>,
}

/// What a crawl of a site found: its articles as a feed, and the pages that are not
/// articles (recorded as seen, so that they are not fetched again).
pub(crate) struct Crawled {
    pub home: Fetched,
    pub feed: ParsedFeed,
    pub not_articles: Vec<ParsedEntry>,
}

/// The key a page is remembered by: its address as fetched (the article may name another,
/// canonical one).
fn page_entry(url: &Url) -> ParsedEntry {
    ParsedEntry {
        guid: Some(source_url::canonical(url)),
        url: None,
        title: String::new(),
        summary: String::new(),
        html: String::new(),
        published_at_ms: None,
        language: None,
        categories: Vec::new(),
        attachments: Vec::new(),
    }
}

fn same_site(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default()
}

fn may_be_page(url: &Url) -> bool {
    let path = url.path().to_ascii_lowercase();
    !NOT_PAGES.iter().any(|ext| path.ends_with(ext))
}

impl Crawler {
    async fn robots(&self, site: &Url) -> Arc<Rules> {
        let origin = site.origin().ascii_serialization();
        if let Some((until, rules)) = self.robots.by_origin.lock().expect("not poisoned").get(&origin)
            && *until > Instant::now()
        {
            return Arc::clone(rules);
        }
        let rules = match site.join("/robots.txt") {
            Err(_) => Rules::Open,
            Ok(url) => match self.fetch(&url, &Validators::default()).await {
                Ok(fetched) => match Robot::new(ROBOTS_AGENT, fetched.body.as_deref().unwrap_or_default()) {
                    Ok(robot) => Rules::Listed(Box::new(robot)),
                    Err(_) => Rules::Open,
                },
                Err(FetchError::Status { status: 400..=499, .. } | FetchError::Gone) => Rules::Open,
                Err(_) => Rules::Closed,
            },
        };
        let ttl = if matches!(rules, Rules::Closed) { ROBOTS_RETRY } else { ROBOTS_TTL };
        let rules = Arc::new(rules);
        let mut cache = self.robots.by_origin.lock().expect("not poisoned");
        // Bounded: a crawler with more sites than this forgets the oldest first.
        if cache.len() >= 10_000 {
            let now = Instant::now();
            cache.retain(|_, (until, _)| *until > now);
        }
        cache.insert(origin, (Instant::now() + ttl, Arc::clone(&rules)));
        rules
    }

    /// Whether a page (a site's home page, say) can be crawled as a site source: robots.txt
    /// lets us in and there is somewhere to go from it.
    pub(crate) async fn crawlable(&self, home: &Url, page: &Page) -> bool {
        let rules = self.robots(home).await;
        rules.allows(home) && (!page.links.is_empty() || !rules.sitemaps(home).is_empty())
    }

    /// The pages a sitemap (or, for an index, the sitemaps it names) lists.
    async fn sitemap_pages(&self, site: &Url, rules: &Rules) -> Vec<(Url, Option<i64>)> {
        let mut queue = rules.sitemaps(site);
        if queue.is_empty() {
            queue.extend(site.join("/sitemap.xml").ok());
        }
        let (mut pages, mut read) = (Vec::new(), 0);
        while let Some(url) = queue.pop() {
            if read == MAX_SITEMAPS {
                break;
            }
            read += 1;
            let Ok(Fetched { body: Some(body), content_type, url, .. }) =
                self.fetch(&url, &Validators::default()).await
            else {
                continue;
            };
            let (text, _) = decode::decode(&body, content_type.as_deref());
            let Some(found) = sitemap::parse(&text, &url) else { continue };
            pages.extend(found.pages);
            // Named first is read first (`pop` takes from the end).
            queue.extend(found.sitemaps.into_iter().take(MAX_SITEMAPS).rev());
        }
        pages
    }

    /// Crawls a site source: at most `limit` pages not seen before, newest first.
    pub(crate) async fn crawl_site(&self, source: &Source, limit: usize) -> Result<Crawled, FetchError> {
        let started = Instant::now();
        // Half the lease for the pages: the rest covers the fetch in flight and the recording.
        let budget = Duration::from_millis(jobs::lease_ms(self) as u64 / 2);
        let site = source.url().map_err(|e| FetchError::Unreadable(e.to_string()))?;
        let rules = self.robots(&site).await;
        if !rules.allows(&site) {
            return Err(FetchError::Refused(format!("robots.txt does not let {ROBOTS_AGENT} crawl {site}")));
        }
        let home = self.fetch(&site, &Validators::default()).await?;
        let body = home.body.clone().unwrap_or_default();
        let (html, _) = decode::decode(&body, home.content_type.as_deref());
        let front = article::read(&html, &home.url);

        // Pages the sitemap dates come first, newest first; then the home page's links.
        let mut dated = self.sitemap_pages(&site, &rules).await;
        dated.sort_by_key(|(_, lastmod)| std::cmp::Reverse(lastmod.unwrap_or(i64::MIN)));
        let mut seen_urls = HashSet::from([source_url::canonical(&site), source_url::canonical(&home.url)]);
        let candidates: Vec<Url> = dated
            .into_iter()
            .map(|(url, _)| url)
            .chain(front.links.iter().cloned())
            .filter(|u| same_site(u, &site) && may_be_page(u) && rules.allows(u))
            .filter(|u| seen_urls.insert(source_url::canonical(u)))
            .collect();
        let keys: Vec<String> = candidates.iter().map(|u| page_entry(u).key()).collect();
        // A database that cannot be read fails this crawl like a fetch would; it is retried.
        let known = entries::known(&self.store, source.id, &keys)
            .await
            .map_err(|e| FetchError::Unreadable(format!("cannot read which pages were seen: {e:#}")))?;
        let wanted = candidates.iter().zip(&keys).filter(|(_, key)| !known.contains(*key)).map(|(u, _)| u).take(limit);

        // robots.txt's Crawl-delay, beyond the delay every host gets.
        let extra = rules
            .delay()
            .map(|d| d.min(Duration::from_secs(self.config.max_crawl_delay_secs)))
            .and_then(|d| d.checked_sub(Duration::from_millis(self.config.per_host_delay_ms)));
        let (mut articles, mut not_articles) = (Vec::new(), Vec::new());
        for (i, url) in wanted.enumerate() {
            if started.elapsed() >= budget {
                break;
            }
            if let Some(extra) = extra.filter(|_| i > 0) {
                tokio::time::sleep(extra).await;
            }
            let Ok(page) = self.fetch(url, &Validators::default()).await else { continue };
            let body = page.body.unwrap_or_default();
            let article = discover::is_html(page.content_type.as_deref(), &body)
                .then(|| article::read(&decode::decode(&body, page.content_type.as_deref()).0, &page.url).article)
                .flatten();
            match article {
                Some(article) => articles.push(ParsedEntry { guid: page_entry(url).guid, ..article }),
                None => not_articles.push(page_entry(url)),
            }
        }
        let feed = ParsedFeed {
            title: front.site_name.unwrap_or_else(|| source.title.clone()),
            description: source.description.clone(),
            home_url: Some(home.url.to_string()),
            ttl: None,
            hub: None,
            image_url: front.icon,
            entries: articles,
        };
        Ok(Crawled { home, feed, not_articles })
    }
}
