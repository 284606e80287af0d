//! A feed's bytes to what the crawler keeps of it: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON
//! Feed 1.0/1.1 with their media and iTunes extensions, through `feed-rs`, after our own
//! character decoding (`decode`). HTML is sanitized here, so nothing unsafe is ever stored.

use std::time::Duration;

use contracts::crawler::Attachment;
use sha2::{Digest, Sha256};
use url::Url;

use super::{CrawlerError, decode, sanitize, source_url};

/// A feed as the crawler keeps it.
#[derive(Debug, Clone)]
pub struct ParsedFeed {
    pub title: String,
    /// Plain text.
    pub description: String,
    pub home_url: Option<String>,
    /// RSS `<ttl>`: the feed asks not to be fetched sooner.
    pub ttl: Option<Duration>,
    /// The WebSub hub the feed names (`<link rel="hub">`), and the topic it is known there by
    /// (`rel="self"`).
    pub hub: Option<(Url, Url)>,
    /// The image the feed names for itself (its icon, else its logo): the source's avatar.
    pub image_url: Option<Url>,
    pub entries: Vec<ParsedEntry>,
}

/// One entry, sanitized.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedEntry {
    /// The feed's own id of the entry (`guid`, Atom `id`), when it has one.
    pub guid: Option<String>,
    pub url: Option<Url>,
    pub title: String,
    /// Plain text of the summary, or of the content when there is no summary.
    pub summary: String,
    /// Sanitized HTML of the content (or summary).
    pub html: String,
    pub published_at_ms: Option<i64>,
    pub language: Option<String>,
    /// Categories, as the feed spells them.
    pub categories: Vec<String>,
    pub attachments: Vec<Attachment>,
}

/// Most entries kept of one fetch (a feed that lists 10,000 is an archive, not a feed).
pub const MAX_ENTRIES: usize = 500;
/// Longest title kept, in characters.
const MAX_TITLE_CHARS: usize = 300;
/// Longest sanitized content kept, in bytes.
const MAX_HTML_BYTES: usize = 256 * 1024;

/// Parses a fetched feed. `url` is where it came from (relative links resolve against it).
pub fn feed(bytes: &[u8], content_type: Option<&str>, url: &Url) -> Result<ParsedFeed, CrawlerError> {
    let (text, _) = decode::decode(bytes, content_type);
    // No generated ids: an entry without one is deduplicated by its link or its content.
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(url.as_str()))
        .sanitize_content(false)
        .id_generator(|_, _, _| String::new())
        .build();
    let parsed = parser.parse(text.as_bytes()).map_err(|e| {
        CrawlerError::NotAFeed(format!("not a feed this crawler can read (RSS, Atom or JSON Feed): {e}"))
    })?;
    let home_url = parsed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate") && !is_feed_type(l.media_type.as_deref()))
        .and_then(|l| url.join(&l.href).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(String::from);
    let link = |rel: &str| {
        parsed
            .links
            .iter()
            .find(|l| l.rel.as_deref() == Some(rel))
            .and_then(|l| url.join(l.href.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    let hub = link("hub").zip(link("self"));
    let image_url = [&parsed.icon, &parsed.logo]
        .into_iter()
        .flatten()
        .find_map(|image| url.join(image.uri.trim()).ok().filter(|u| matches!(u.scheme(), "http" | "https")));
    let language = parsed.language.clone();
    let mut entries: Vec<ParsedEntry> =
        parsed.entries.into_iter().take(MAX_ENTRIES).map(|e| entry(e, url, language.as_deref())).collect();
    entries.retain(|e| !(e.title.is_empty() && e.summary.is_empty() && e.url.is_none()));
    Ok(ParsedFeed {
        title: parsed.title.map(|t| text_of(&t)).unwrap_or_default(),
        description: parsed.description.map(|t| text_of(&t)).unwrap_or_default(),
        home_url,
        ttl: parsed.ttl.map(|minutes| Duration::from_secs(u64::from(minutes) * 60)),
        hub,
        image_url,
        entries,
    })
}

fn is_feed_type(media_type: Option<&str>) -> bool {
    media_type.is_some_and(|t| t.contains("rss") || t.contains("atom") || t.contains("json") || t.contains("xml"))
}

/// A text construct as plain text (HTML titles exist).
fn text_of(text: &feed_rs::model::Text) -> String {
    let raw = if text.content_type.to_string().contains("html") {
        sanitize::plain_text(&text.content)
    } else {
        sanitize::tidy(&text.content)
    };
    raw.chars().take(MAX_TITLE_CHARS).collect()
}

fn entry(entry: feed_rs::model::Entry, feed_url: &Url, feed_language: Option<&str>) -> ParsedEntry {
    let url = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| feed_url.join(&l.href).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let base = url.as_ref().unwrap_or(feed_url);
    let body = entry.content.as_ref().and_then(|c| c.body.as_ref().map(|b| (b, c.content_type.to_string())));
    let summary_html = entry.summary.as_ref().map(|s| (&s.content, s.content_type.to_string()));
    let as_html = |(body, kind): (&String, String)| {
        if kind.contains("html") { sanitize::html(body, Some(base)) } else { ammonia::clean_text(body) }
    };
    let html = body.clone().or(summary_html.clone()).map(as_html).unwrap_or_default();
    let html = if html.len() > MAX_HTML_BYTES { String::new() } else { html };
    // The summary's text; from the HTML already cleaned when that is the summary itself.
    let summary = match (&body, summary_html) {
        (Some(_), Some(summary)) if summary.1.contains("html") => sanitize::text_of_clean(&as_html(summary)),
        (_, Some((text, kind))) if !kind.contains("html") => sanitize::tidy(text),
        _ => sanitize::text_of_clean(&html),
    };
    let mut attachments: Vec<Attachment> = entry
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| {
            let url = c.url.as_ref().filter(|u| matches!(u.scheme(), "http" | "https"))?;
            Some(Attachment { url: url.to_string(), media_type: c.content_type.as_ref().map(|t| t.to_string()) })
        })
        .chain(entry.links.iter().filter(|l| l.rel.as_deref() == Some("enclosure")).filter_map(|l| {
            let url = feed_url.join(&l.href).ok().filter(|u| matches!(u.scheme(), "http" | "https"))?;
            Some(Attachment { url: url.to_string(), media_type: l.media_type.clone() })
        }))
        .collect();
    attachments.dedup_by(|a, b| a.url == b.url);
    attachments.truncate(8);
    ParsedEntry {
        guid: Some(entry.id.trim().to_owned()).filter(|id| !id.is_empty() && id.len() <= 2048),
        url,
        title: entry.title.as_ref().map(text_of).unwrap_or_default(),
        summary,
        html,
        published_at_ms: entry.published.or(entry.updated).map(|d| d.timestamp_millis()),
        language: entry.language.or_else(|| feed_language.map(str::to_owned)),
        categories: entry
            .categories
            .iter()
            .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
            .take(10)
            .collect(),
        attachments,
    }
}

impl ParsedEntry {
    /// What identifies the entry within its source: its id, else its link, else its content
    /// (Miniflux's order).
    pub fn key(&self) -> String {
        match (&self.guid, &self.url) {
            (Some(guid), _) => format!("id:{guid}"),
            (None, Some(url)) => format!("url:{}", source_url::canonical(url)),
            (None, None) => format!("hash:{}", self.content_hash()),
        }
    }

    /// Changes when the entry's title or content does: a new hash is an edit.
    pub fn content_hash(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [&self.title, &self.html, &self.summary] {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        format!("{:x}", hasher.finalize())
    }

    /// The post's text: the title, the summary cut to fit, the categories as hashtags, and the
    /// link to the original, within `max_chars` characters.
    pub fn post_text(&self, max_chars: usize) -> String {
        let link = self.url.as_ref().map(Url::to_string).unwrap_or_default();
        let tags: Vec<String> = self.categories.iter().filter_map(|c| hashtag(c)).take(5).collect();
        let tags = tags.join(" ");
        let fixed = [&self.title, &tags, &link].iter().map(|s| s.chars().count() + 2).sum::<usize>();
        let room = max_chars.saturating_sub(fixed);
        let summary = if self.summary == self.title { String::new() } else { cut(&self.summary, room) };
        let parts: Vec<String> =
            [cut(&self.title, max_chars / 2), summary, tags, link].into_iter().filter(|p| !p.is_empty()).collect();
        cut(&parts.join("\n\n"), max_chars)
    }
}

/// A category as a hashtag: spaces and dashes become `_`; nothing when it has other signs.
fn hashtag(category: &str) -> Option<String> {
    let tag: String = category.trim().chars().map(|c| if c == ' ' || c == '-' { '_' } else { c }).collect();
    let valid = (1..=64).contains(&tag.chars().count())
        && tag.chars().all(|c| c.is_alphanumeric() || c == '_')
        && tag.chars().any(char::is_alphabetic);
    valid.then(|| format!("#{tag}"))
}

/// `text` in at most `max` characters, cut at a word where one is near, with `…`.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    let head: String = text.chars().take(max - 1).collect();
    let at_word = head.rfind(char::is_whitespace).filter(|&i| head[..i].chars().count() * 5 >= max * 4);
    let mut out = at_word.map_or(head.clone(), |i| head[..i].to_owned());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://blog.example.org/feed.xml").unwrap()
    }

    #[test]
    fn rss_with_an_enclosure_and_relative_links() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Example</title>
            <link>https://blog.example.org/</link><description>Notes &amp; more</description><ttl>120</ttl>
            <image><url>/logo.png</url><title>Example</title><link>https://blog.example.org/</link></image>
            <item><title>First</title><link>/first</link><guid isPermaLink="false">a-1</guid>
            <description>&lt;p&gt;Hello &lt;b&gt;world&lt;/b&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/p&gt;</description>
            <category>Rust Lang</category>
            <enclosure url="https://cdn.example.org/ep1.mp3" type="audio/mpeg" length="1"/></item></channel></rss>"#;
        let feed = feed(rss.as_bytes(), Some("application/rss+xml"), &url()).unwrap();
        assert_eq!((feed.title.as_str(), feed.description.as_str()), ("Example", "Notes & more"));
        assert_eq!(feed.home_url.as_deref(), Some("https://blog.example.org/"));
        assert_eq!(feed.ttl, Some(Duration::from_secs(7200)));
        assert_eq!(feed.image_url.as_ref().map(Url::as_str), Some("https://blog.example.org/logo.png"));
        let e = &feed.entries[0];
        assert_eq!(e.key(), "id:a-1");
        assert_eq!(e.url.as_ref().unwrap().as_str(), "https://blog.example.org/first");
        assert_eq!(e.summary, "Hello world");
        assert!(!e.html.contains("script"), "{}", e.html);
        assert_eq!(e.attachments[0].url, "https://cdn.example.org/ep1.mp3");
        assert_eq!(e.attachments[0].media_type.as_deref(), Some("audio/mpeg"));
        assert_eq!(e.post_text(500), "First\n\nHello world\n\n#Rust_Lang\n\nhttps://blog.example.org/first");
    }

    #[test]
    fn atom_and_json_feed() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &amp;lt;b&amp;gt;</title><id>urn:x</id>
            <updated>2026-01-01T00:00:00Z</updated><entry><title>T</title><id>urn:e1</id><updated>2026-01-01T00:00:00Z</updated>
            <link href="https://example.org/e1"/><content type="html">&lt;p onclick="x"&gt;Body&lt;/p&gt;</content></entry></feed>"#;
        let parsed = feed(atom.as_bytes(), None, &url()).unwrap();
        assert_eq!(parsed.hub, None);
        assert_eq!(parsed.entries[0].published_at_ms, Some(1_767_225_600_000));
        assert!(!parsed.entries[0].html.contains("onclick"));
        let json = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","items":[{"id":"1","url":"https://example.org/1","content_text":"plain"}]}"#;
        let parsed = feed(json.as_bytes(), Some("application/feed+json"), &url()).unwrap();
        assert_eq!((parsed.title.as_str(), parsed.entries[0].summary.as_str()), ("J", "plain"));
    }

    #[test]
    fn a_websub_hub_is_named_with_its_topic() {
        let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:x</id>
            <link rel="hub" href="https://hub.example/"/><link rel="self" href="/feed.xml"/></feed>"#;
        let (hub, topic) = feed(atom.as_bytes(), None, &url()).unwrap().hub.unwrap();
        assert_eq!((hub.as_str(), topic.as_str()), ("https://hub.example/", "https://blog.example.org/feed.xml"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bad in ["", "<html><body>hi</body></html>", "<rss><channel><item><title>x", "{\"a\":", "\u{0}\u{1}"] {
            let _ = feed(bad.as_bytes(), None, &url());
        }
        assert!(matches!(feed(b"<html><body>hi</body></html>", None, &url()), Err(CrawlerError::NotAFeed(_))));
    }

    #[test]
    fn keys_fall_back_to_the_link_then_the_content() {
        let mut e = ParsedEntry {
            guid: None,
            url: Some(Url::parse("https://example.org/a?utm_source=x").unwrap()),
            title: "t".into(),
            summary: "s".into(),
            html: "s".into(),
            published_at_ms: None,
            language: None,
            categories: vec![],
            attachments: vec![],
        };
        assert_eq!(e.key(), "url:https://example.org/a");
        e.url = None;
        assert!(e.key().starts_with("hash:"));
    }

    #[test]
    fn post_text_fits() {
        let e = ParsedEntry {
            guid: None,
            url: Some(Url::parse("https://example.org/a").unwrap()),
            title: "标题".repeat(10),
            summary: "word ".repeat(400),
            html: String::new(),
            published_at_ms: None,
            language: None,
            categories: vec!["c++".into(), "新闻".into()],
            attachments: vec![],
        };
        let text = e.post_text(500);
        assert!(text.chars().count() <= 500);
        assert!(text.ends_with("#新闻\n\nhttps://example.org/a"), "{text}");
        assert!(text.contains("word…"), "{text}");
    }
}
