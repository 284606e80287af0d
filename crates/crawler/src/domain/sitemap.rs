//! Sitemaps (sitemaps.org): the pages a site lists, with when each last changed, or the
//! further sitemaps an index names. Read with quick-xml's serde support; elements of other
//! namespaces (images, news) are ignored.

use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use url::Url;

/// The protocol's own limit of URLs in one sitemap, and what we read of one.
pub const MAX_URLS: usize = 50_000;

/// What a sitemap lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sitemap {
    /// Pages, in the order listed, with their `lastmod` in milliseconds when given and valid.
    pub pages: Vec<(Url, Option<i64>)>,
    /// Further sitemaps (a `<sitemapindex>`).
    pub sitemaps: Vec<Url>,
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    url: Vec<Location>,
    #[serde(default)]
    sitemap: Vec<Location>,
}

#[derive(Deserialize)]
struct Location {
    loc: String,
    #[serde(default)]
    lastmod: Option<String>,
}

/// Parses a sitemap or sitemap index found at `at`; URLs that are not absolute http(s) are
/// dropped. `None` when the document is not one.
pub fn parse(xml: &str, at: &Url) -> Option<Sitemap> {
    let document: Document = quick_xml::de::from_str(xml).ok()?;
    let absolute = |raw: &str| at.join(raw.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https"));
    let pages = document
        .url
        .iter()
        .take(MAX_URLS)
        .filter_map(|l| Some((absolute(&l.loc)?, l.lastmod.as_deref().and_then(lastmod_ms))))
        .collect();
    let sitemaps = document.sitemap.iter().take(MAX_URLS).filter_map(|l| absolute(&l.loc)).collect();
    Some(Sitemap { pages, sitemaps })
}

/// A W3C datetime (`2026-01-31`, `2026-01-31T10:00:00+08:00`) in milliseconds.
fn lastmod_ms(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let full = if raw.len() == 10 { format!("{raw}T00:00:00Z") } else { raw.to_owned() };
    let at = OffsetDateTime::parse(&full, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Url {
        Url::parse("https://site.example/sitemap.xml").unwrap()
    }

    #[test]
    fn pages_with_their_dates_and_entities_resolved() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
                    xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
              <url><loc>https://site.example/a?x=1&amp;y=2</loc><lastmod>2026-01-31</lastmod>
                   <image:image><image:loc>https://site.example/a.png</image:loc></image:image></url>
              <url><loc> /b </loc><lastmod>2026-02-01T10:00:00+08:00</lastmod></url>
              <url><loc>javascript:alert(1)</loc></url>
              <url><loc>https://site.example/c</loc><lastmod>yesterday</lastmod></url>
            </urlset>"#;
        let sitemap = parse(xml, &at()).unwrap();
        let pages: Vec<(&str, Option<i64>)> = sitemap.pages.iter().map(|(u, t)| (u.as_str(), *t)).collect();
        assert_eq!(
            pages,
            [
                ("https://site.example/a?x=1&y=2", Some(1_769_817_600_000)),
                ("https://site.example/b", Some(1_769_911_200_000)),
                ("https://site.example/c", None),
            ]
        );
        assert!(sitemap.sitemaps.is_empty());
    }

    #[test]
    fn an_index_names_sitemaps_and_other_documents_are_none() {
        let xml = r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>https://site.example/posts.xml</loc></sitemap></sitemapindex>"#;
        let sitemap = parse(xml, &at()).unwrap();
        assert_eq!(sitemap.sitemaps, [Url::parse("https://site.example/posts.xml").unwrap()]);
        assert!(parse("<html><body>not xml", &at()).is_none_or(|s| s == Sitemap::default()));
        assert!(parse("", &at()).is_none());
    }
}
