//! A feed's HTML made safe to show, and made plain text for posts and search.
//!
//! An allowlist (ammonia, which parses like a browser): `script`, `style` and `noscript` go
//! with their contents, every `on*` attribute and every URL scheme but http(s) and mailto go;
//! relative URLs are resolved against the entry's address; links get `rel="noopener
//! noreferrer nofollow"`; tracking pixels (1×1 images, and images from known trackers) lose
//! their source, so nothing is fetched when the entry is shown.

use std::collections::HashSet;

use ammonia::{Builder, UrlRelative};
use scraper::{Html, Node, Selector};
use url::Url;

/// Hosts that serve only tracking images.
const TRACKER_HOSTS: &[&str] = &[
    "feeds.feedburner.com",
    "pixel.wp.com",
    "stats.wordpress.com",
    "feedads.g.doubleclick.net",
    "www.google-analytics.com",
];

/// `html` with only what is safe to show.
pub fn html(html: &str, base: Option<&Url>) -> String {
    let pixels = tracking_pixels(html);
    let mut builder = Builder::default();
    builder
        .add_clean_content_tags(["noscript"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(move |element, attribute, value| {
            let tracker = element == "img"
                && attribute == "src"
                && (pixels.contains(value)
                    || Url::parse(value)
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                        .is_some_and(|h| TRACKER_HOSTS.contains(&h.as_str())));
            (!tracker).then_some(value.into())
        });
    match base {
        Some(base) => builder.url_relative(UrlRelative::RewriteWithBase(base.clone())),
        None => builder.url_relative(UrlRelative::Deny),
    };
    builder.clean(html).to_string()
}

/// The `src` of every image declared 1×1 (or smaller).
fn tracking_pixels(html: &str) -> HashSet<String> {
    let document = Html::parse_fragment(html);
    let images = Selector::parse("img[src]").expect("a valid selector");
    let tiny = |value: Option<&str>| {
        value.and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok()).is_some_and(|n| n <= 1)
    };
    document
        .select(&images)
        .filter(|img| tiny(img.value().attr("width")) && tiny(img.value().attr("height")))
        .filter_map(|img| img.value().attr("src").map(str::to_owned))
        .collect()
}

/// Elements after which text continues on a new line.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "tr",
    "table",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "hr",
    "dd",
    "dt",
];

/// The text of `html` as a reader sees it: no markup, entities decoded, paragraphs on their own
/// lines, whitespace collapsed. Scripts and styles say nothing.
pub fn plain_text(html: &str) -> String {
    let document = Html::parse_fragment(html);
    let mut out = String::new();
    for node in document.tree.root().descendants() {
        match node.value() {
            Node::Text(text) => {
                let silent = node.ancestors().any(|a| {
                    a.value()
                        .as_element()
                        .is_some_and(|e| matches!(e.name(), "script" | "style" | "noscript" | "template"))
                });
                if !silent {
                    // In HTML a line break in text is a space; lines come from elements.
                    out.extend(text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }));
                }
            }
            Node::Element(element) if BLOCKS.contains(&element.name()) && !out.ends_with('\n') => out.push('\n'),
            _ => {}
        }
    }
    tidy(&out)
}

/// Runs of spaces become one, lines are trimmed, at most one empty line in a row.
pub fn tidy(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() && lines.last().is_none_or(String::is_empty) {
            continue;
        }
        lines.push(line);
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_styles_and_handlers_are_stripped() {
        let dirty = r#"<p onclick="steal()">Hi<script>alert(1)</script><style>p{}</style>
            <a href="javascript:alert(2)">x</a><img src="x.png" onerror="alert(3)"><noscript>no</noscript>
            <iframe src="https://evil.example/"></iframe></p>"#;
        let clean = html(dirty, Some(&Url::parse("https://blog.example.org/posts/1").unwrap()));
        for banned in ["script", "alert", "onclick", "onerror", "style", "javascript", "iframe", "noscript", ">no<"] {
            assert!(!clean.contains(banned), "{banned} in {clean}");
        }
        assert!(clean.contains(r#"src="https://blog.example.org/posts/x.png""#), "relative URL resolved: {clean}");
    }

    #[test]
    fn links_are_safe_and_pixels_dropped() {
        let clean = html(
            r#"<a href="/about">about</a><img src="https://t.example/p.gif" width="1" height="1"><img src="https://feeds.feedburner.com/~r/x/~4/y"><img src="/big.png" width="640">"#,
            Some(&Url::parse("https://example.org/").unwrap()),
        );
        assert!(
            clean.contains(r#"href="https://example.org/about""#) && clean.contains("noopener noreferrer nofollow"),
            "{clean}"
        );
        assert!(!clean.contains("t.example") && !clean.contains("feedburner"), "{clean}");
        assert!(clean.contains("https://example.org/big.png"), "{clean}");
    }

    #[test]
    fn plain_text_reads_like_the_page() {
        let text = plain_text(
            "<h1>Title</h1><p>One &amp; two,\n   three.</p><script>var x;</script><ul><li>a</li><li>b</li></ul>",
        );
        assert_eq!(text, "Title\nOne & two, three.\na\nb");
        assert_eq!(plain_text("中文<br>第二行"), "中文\n第二行");
    }
}
