//! Finding the feed of a website: the page's `<link rel="alternate">` to a feed type first
//! (RSS, Atom, JSON Feed), then the paths feeds usually live at.

use scraper::{Html, Selector};
use url::Url;

/// Paths tried when a page names no feed, most common first.
const COMMON_PATHS: &[&str] = &["feed", "rss", "feed.xml", "atom.xml", "rss.xml", "index.xml", "feed.json"];

/// Where a site's feed usually is, for a page that names none: the common paths below the
/// page's directory (a blog under `/blog/`), then below the site's root.
pub fn common_feed_urls(page: &Url) -> Vec<Url> {
    let mut urls: Vec<Url> = COMMON_PATHS
        .iter()
        .filter_map(|path| page.join(path).ok())
        .chain(COMMON_PATHS.iter().filter_map(|path| page.join(&format!("/{path}")).ok()))
        .collect();
    let mut seen = std::collections::HashSet::new();
    urls.retain(|u| seen.insert(u.clone()));
    urls
}

const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "text/xml",
];

/// The feeds `html` (found at `page`) names, in document order.
pub fn feed_links(html: &str, page: &Url) -> Vec<Url> {
    let document = Html::parse_document(html);
    let base = Selector::parse("base[href]").expect("a valid selector");
    let page = document
        .select(&base)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page.join(href).ok())
        .unwrap_or_else(|| page.clone());
    let links = Selector::parse("link[rel][href]").expect("a valid selector");
    let mut found: Vec<Url> = Vec::new();
    for link in document.select(&links) {
        let element = link.value();
        let alternate =
            element.attr("rel").is_some_and(|r| r.split_whitespace().any(|r| r.eq_ignore_ascii_case("alternate")));
        let feed_type =
            element.attr("type").is_some_and(|t| FEED_TYPES.contains(&t.trim().to_ascii_lowercase().as_str()));
        if alternate
            && feed_type
            && let Some(url) = element.attr("href").and_then(|href| page.join(href.trim()).ok())
            && matches!(url.scheme(), "http" | "https")
            && !found.contains(&url)
        {
            found.push(url);
        }
    }
    found
}

/// Whether a response looks like a web page rather than a feed.
pub fn is_html(content_type: Option<&str>, body: &[u8]) -> bool {
    if content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html")) {
        return true;
    }
    let head = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_links_to_feeds_are_found() {
        let page = Url::parse("https://example.org/blog/").unwrap();
        let html = r#"<html><head><link rel="stylesheet" href="/s.css">
            <link rel="alternate" type="application/rss+xml" href="feed.xml">
            <link rel="alternate" type="application/atom+xml" href="https://example.org/atom">
            <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
            <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)"></head></html>"#;
        let found: Vec<String> = feed_links(html, &page).iter().map(Url::to_string).collect();
        assert_eq!(found, ["https://example.org/blog/feed.xml", "https://example.org/atom"]);
        assert!(is_html(None, b"  <!DOCTYPE html><html>"));
        let common = common_feed_urls(&Url::parse("https://example.org/blog/post").unwrap());
        assert_eq!(common[0].as_str(), "https://example.org/blog/feed");
        assert!(common.iter().any(|u| u.as_str() == "https://example.org/feed"));
        assert!(!is_html(Some("application/rss+xml"), b"<rss/>"));
    }
}
