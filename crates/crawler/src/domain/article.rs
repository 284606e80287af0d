//! A page of a site that has no feed: its main text as an entry (dom_smoothie, a port of
//! Mozilla's Readability), and the links it has to other pages of the same site, which is how
//! a site without a sitemap is crawled.

use dom_smoothie::{Config, Readability};
use scraper::{Html, Selector};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use url::Url;

use super::{parse::ParsedEntry, sanitize};

/// Pages with more elements than this are not reduced (a pathological page costs seconds).
const MAX_ELEMENTS: usize = 30_000;
/// Most same-site links taken from one page.
pub const MAX_LINKS: usize = 500;

/// What one page gives.
#[derive(Debug, Default)]
pub struct Page {
    /// The article, when the page reads as one (an index or a login page does not).
    pub article: Option<ParsedEntry>,
    /// Links to other pages of the same site, in document order, without repeats.
    pub links: Vec<Url>,
    /// The site's name (`og:site_name`, else the page's title), for a new site source.
    pub site_name: Option<String>,
    /// The icon the page names (`apple-touch-icon`, else `icon`): a site source's avatar.
    pub icon: Option<Url>,
}

/// Reads the page `html` found at `url`.
pub fn read(html: &str, url: &Url) -> Page {
    let Head { links, canonical, title, icon } = head(html, url);
    let config = Config { max_elements_to_parse: MAX_ELEMENTS, ..Config::default() };
    let Ok(mut readability) = Readability::new(html, Some(url.as_str()), Some(config)) else {
        return Page { links, site_name: title, icon, ..Page::default() };
    };
    let metadata = readability.get_article_metadata(readability.parse_json_ld());
    let site_name = metadata.site_name.clone().filter(|s| !s.trim().is_empty()).or(title);
    let readable = readability.is_probably_readable();
    let article = readable.then(|| readability.parse().ok()).flatten().and_then(|article| {
        let site_name = article.site_name.clone().or_else(|| metadata.site_name.clone());
        let html = sanitize::html(&article.content, Some(url));
        let text = sanitize::text_of_clean(&html);
        if text.is_empty() {
            return None;
        }
        let summary =
            article.excerpt.as_deref().map(sanitize::tidy).filter(|e| !e.is_empty()).unwrap_or_else(|| text.clone());
        Some(ParsedEntry {
            guid: None,
            url: Some(canonical.clone().unwrap_or_else(|| url.clone())),
            title: without_site_name(&sanitize::tidy(&article.title), site_name.as_deref()).chars().take(300).collect(),
            summary,
            html,
            published_at_ms: article.published_time.as_deref().and_then(rfc3339_ms),
            language: article.lang.filter(|l| l.len() <= 35),
            categories: Vec::new(),
            attachments: Vec::new(),
        })
    });
    Page { article, links, site_name, icon }
}

/// What the page's markup says besides its text.
struct Head {
    /// Links within the site.
    links: Vec<Url>,
    /// Its canonical URL, when on the same site.
    canonical: Option<Url>,
    title: Option<String>,
    icon: Option<Url>,
}

fn head(html: &str, page: &Url) -> Head {
    let document = Html::parse_document(html);
    let selector = |s: &str| Selector::parse(s).expect("a valid selector");
    let same_site = |u: &Url| u.scheme() == page.scheme() && u.host_str() == page.host_str() && u.port() == page.port();
    let mut links: Vec<Url> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for anchor in document.select(&selector("a[href]")) {
        let Some(mut url) = anchor.value().attr("href").and_then(|h| page.join(h.trim()).ok()) else { continue };
        url.set_fragment(None);
        if same_site(&url) && url != *page && seen.insert(url.clone()) {
            links.push(url);
            if links.len() == MAX_LINKS {
                break;
            }
        }
    }
    let canonical = document
        .select(&selector("link[rel=canonical][href]"))
        .next()
        .and_then(|l| l.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
        .filter(same_site);
    let title = document
        .select(&selector("title"))
        .next()
        .map(|t| sanitize::tidy(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let icons: Vec<(bool, Url)> = document
        .select(&selector("link[rel][href]"))
        .filter_map(|link| {
            let rel = link.value().attr("rel")?.to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_whitespace().collect();
            let touch = rels.contains(&"apple-touch-icon");
            let url = page.join(link.value().attr("href")?.trim()).ok()?;
            ((touch || rels.contains(&"icon")) && matches!(url.scheme(), "http" | "https")).then_some((touch, url))
        })
        .collect();
    let icon = icons.iter().find(|(touch, _)| *touch).or(icons.first()).map(|(_, url)| url.clone());
    Head { links, canonical, title, icon }
}

/// `Title | Site` → `Title` (Readability keeps the site's name in a short title).
fn without_site_name(title: &str, site_name: Option<&str>) -> String {
    let stripped = site_name.filter(|n| !n.is_empty()).and_then(|name| {
        let head = title.strip_suffix(name)?.trim_end();
        let head = head.strip_suffix(['|', '-', '–', '—', '·', ':'])?.trim_end();
        (!head.is_empty()).then_some(head)
    });
    stripped.unwrap_or(title).to_owned()
}

fn rfc3339_ms(raw: &str) -> Option<i64> {
    let at = OffsetDateTime::parse(raw.trim(), &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = r#"<html lang="en"><head><title>Tide tables | Harbour Notes</title>
        <meta property="og:site_name" content="Harbour Notes">
        <meta property="article:published_time" content="2026-03-01T08:00:00Z">
        <link rel="canonical" href="/posts/tides?utm_source=x">
        <link rel="icon" href="/favicon.svg"><link rel="apple-touch-icon" href="/touch.png"></head>
        <body><nav><a href="/">Home</a> <a href="/about">About</a> <a href="https://elsewhere.example/">Out</a></nav>
        <article><h1>Tide tables</h1>
        <p>The harbour keeps its own tide tables, written by hand every morning since 1952, and they
        are more accurate than any of the printed ones because the keeper measures the water at the
        old stone steps rather than trusting a model built for the open sea.</p>
        <p>Twice a year the tables are compared with the national survey; the differences are
        small but they matter to the fishing boats that leave before dawn.<script>steal()</script></p>
        <p>Anyone may read them at the harbour office, and they are copied into this page each
        week so that sailors far away can plan their arrival on the right tide.</p></article>
        <footer><a href="/posts/older#top">Older</a> <a href="/about">About</a></footer></body></html>"#;

    #[test]
    fn an_article_page_gives_its_main_text_and_its_site_links() {
        let url = Url::parse("https://harbour.example/posts/tides").unwrap();
        let page = read(ARTICLE, &url);
        let article = page.article.expect("reads as an article");
        assert_eq!(article.title, "Tide tables");
        assert!(article.summary.contains("tide tables"), "{}", article.summary);
        assert!(article.html.contains("national survey"));
        assert!(!article.html.contains("steal") && !article.html.contains("Home"), "{}", article.html);
        assert_eq!(article.url.unwrap().as_str(), "https://harbour.example/posts/tides?utm_source=x");
        assert_eq!(article.published_at_ms, Some(1_772_352_000_000));
        assert_eq!(article.language.as_deref(), Some("en"));
        assert_eq!(page.site_name.as_deref(), Some("Harbour Notes"));
        assert_eq!(page.icon.unwrap().as_str(), "https://harbour.example/touch.png");
        let links: Vec<&str> = page.links.iter().map(Url::as_str).collect();
        assert_eq!(
            links,
            ["https://harbour.example/", "https://harbour.example/about", "https://harbour.example/posts/older"]
        );
    }

    #[test]
    fn an_index_page_is_no_article_but_still_links() {
        let url = Url::parse("https://harbour.example/").unwrap();
        let page = read(
            r#"<html><head><title>Harbour</title></head><body><a href="/posts/tides">Tides</a></body></html>"#,
            &url,
        );
        assert!(page.article.is_none());
        assert_eq!(page.site_name.as_deref(), Some("Harbour"));
        assert_eq!(page.links, [Url::parse("https://harbour.example/posts/tides").unwrap()]);
    }
}
