//! The crawler's domain: what a source URL may be, how bytes become text and a feed becomes
//! entries, what HTML is safe, how a site names its feed, OPML, when to fetch next, and the
//! service's error. Pure: no database, no network.

pub mod article;
pub mod decode;
pub mod discover;
pub mod error;
pub mod opml;
pub mod parse;
pub mod sanitize;
pub mod schedule;
pub mod sitemap;
pub mod source_url;
pub mod websub;

pub use error::CrawlerError;
use url::Url;

/// The username proposed for a source's account: the host without `www.`, and the first path
/// segment that is not a feed file's name (`example.org/tech/rss` → `example_org_tech`).
/// Identity repairs and deduplicates it.
pub fn proposed_username(feed_url: &Url) -> String {
    let host = feed_url.host_str().unwrap_or("feed");
    let host = host.strip_prefix("www.").unwrap_or(host);
    let generic = ["feed", "feeds", "rss", "atom", "index", "rss2", "xml", "json"];
    let section = feed_url.path_segments().into_iter().flatten().find(|segment| {
        let stem = segment.split('.').next().unwrap_or("");
        !stem.is_empty() && !generic.contains(&stem.to_ascii_lowercase().as_str())
    });
    let name = match section {
        Some(section) => format!("{host}_{}", section.split('.').next().unwrap_or(section)),
        None => host.to_owned(),
    };
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_come_from_host_and_section() {
        let name = |u: &str| proposed_username(&Url::parse(u).unwrap());
        assert_eq!(name("https://www.example.org/feed.xml"), "example_org");
        assert_eq!(name("https://news.example.cn/tech/rss"), "news_example_cn_tech");
        assert_eq!(name("http://127.0.0.1:8080/atom.xml"), "127_0_0_1");
    }
}
