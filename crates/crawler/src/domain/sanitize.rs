//! A feed's HTML made safe to show, and made plain text for posts and search.
//!
//! An allowlist (ammonia, which parses like a browser): `script`, `style` and `noscript` go
//! with their contents, every `on*` attribute and every URL scheme but http(s) and mailto go;
//! relative URLs are resolved against the entry's address; links get `rel="noopener
//! noreferrer nofollow"`; tracking pixels (1×1 images, and images from known trackers) lose
//! their source, so nothing is fetched when the entry is shown.

use std::{cell::RefCell, collections::HashSet};

use ammonia::{Builder, UrlRelative};
use scraper::{Html, Node};
use url::Url;

/// Hosts that serve only tracking images.
const TRACKER_HOSTS: &[&str] = &[
    "feeds.feedburner.com",
    "pixel.wp.com",
    "stats.wordpress.com",
    "feedads.g.doubleclick.net",
    "www.google-analytics.com",
];

thread_local! {
    /// Building an allowlist takes longer than cleaning a typical entry, so each thread keeps
    /// one; only the base URL changes between calls.
    static CLEANER: RefCell<Builder<'static>> = RefCell::new(cleaner());
}

fn cleaner() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .add_clean_content_tags(["noscript"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| {
            // The substring test first: parsing every image's URL would cost more than the rest.
            let tracker = element == "img"
                && attribute == "src"
                && TRACKER_HOSTS.iter().any(|host| value.contains(host))
                && Url::parse(value).ok().is_some_and(|u| u.host_str().is_some_and(|h| TRACKER_HOSTS.contains(&h)));
            (!tracker).then_some(value.into())
        });
    builder
}

/// `html` with only what is safe to show.
pub fn html(html: &str, base: Option<&Url>) -> String {
    let clean = CLEANER.with(|cleaner| {
        let mut cleaner = cleaner.borrow_mut();
        match base {
            Some(base) => cleaner.url_relative(UrlRelative::RewriteWithBase(base.clone())),
            None => cleaner.url_relative(UrlRelative::Deny),
        };
        cleaner.clean(html).to_string()
    });
    drop_pixels(&clean)
}

/// One tag of ammonia's output: its name (lowercase, without `/`) and its text.
fn tags(clean: &str) -> impl Iterator<Item = (std::ops::Range<usize>, Option<&str>)> {
    // ammonia serializes with html5ever: attribute values are double-quoted with `"` escaped,
    // so a `>` outside quotes ends the tag. Text pieces come as `None`.
    let bytes = clean.as_bytes();
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let start = at;
        if bytes[at] != b'<' {
            at = clean[at..].find('<').map_or(bytes.len(), |i| at + i);
            return Some((start..at, None));
        }
        let mut quoted = false;
        while at < bytes.len() && (quoted || bytes[at] != b'>') {
            quoted ^= bytes[at] == b'"';
            at += 1;
        }
        at = (at + 1).min(bytes.len());
        let inner = &clean[start + 1..at.saturating_sub(1).max(start + 1)];
        let name = inner.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        Some((start..at, Some(name)))
    })
}

/// The value of `name` in a serialized tag (`needle` is ` name="`).
fn attribute<'a>(tag: &'a str, needle: &str) -> Option<&'a str> {
    let at = tag.find(needle)? + needle.len();
    tag[at..].split('"').next()
}

/// Removes images declared 1×1 or smaller (tracking pixels) from ammonia's output.
fn drop_pixels(clean: &str) -> String {
    let tiny = |tag: &str, name: &str| {
        attribute(tag, name).and_then(|v| v.trim().trim_end_matches("px").parse::<u32>().ok()).is_some_and(|n| n <= 1)
    };
    let mut out = String::with_capacity(clean.len());
    for (range, name) in tags(clean) {
        let piece = &clean[range];
        if name == Some("img") && tiny(piece, " width=\"") && tiny(piece, " height=\"") {
            continue;
        }
        out.push_str(piece);
    }
    out
}

/// The text of HTML that [`html`] made: no markup, the serializer's escapes undone, blocks on
/// their own lines. Linear, without parsing the document again.
pub fn text_of_clean(clean: &str) -> String {
    let mut out = String::with_capacity(clean.len() / 2);
    for (range, name) in tags(clean) {
        match name {
            None => unescape_into(&clean[range], &mut out),
            Some(name) if BLOCKS.contains(&name.to_ascii_lowercase().as_str()) && !out.ends_with('\n') => {
                out.push('\n')
            }
            Some(_) => {}
        }
    }
    tidy(&out)
}

/// Appends serialized text with the serializer's escapes (`&amp;`, `&lt;`, `&gt;`, `&nbsp;`,
/// `&quot;`) undone and every whitespace character as a space.
fn unescape_into(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '&' || c.is_whitespace()) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if !rest.starts_with('&') {
            let c = rest.chars().next().expect("found a character");
            out.push(' ');
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let (decoded, len) = [("&amp;", '&'), ("&lt;", '<'), ("&gt;", '>'), ("&nbsp;", ' '), ("&quot;", '"')]
            .iter()
            .find(|(escape, _)| rest.starts_with(escape))
            .map_or(('&', 1), |(escape, c)| (*c, escape.len()));
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
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

/// The text of any `html` (a feed's title, say) as a reader sees it: no markup, entities decoded, paragraphs on their own
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
    let mut out = String::with_capacity(text.len());
    let (mut space, mut newlines) = (false, 0u32);
    for c in text.chars() {
        match c {
            '\n' => {
                newlines += 1;
                space = false;
            }
            c if c.is_whitespace() => space = true,
            c => {
                if !out.is_empty() {
                    match newlines {
                        0 if space => out.push(' '),
                        0 => {}
                        1 => out.push('\n'),
                        _ => out.push_str("\n\n"),
                    }
                }
                (space, newlines) = (false, 0);
                out.push(c);
            }
        }
    }
    out
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
    fn tidy_keeps_paragraphs_and_drops_the_rest_of_the_whitespace() {
        assert_eq!(tidy("  a  b \r\n c\n \n\n\n d\t\n"), "a b\nc\n\nd");
        assert_eq!(tidy(" \n "), "");
    }

    #[test]
    fn plain_text_reads_like_the_page() {
        let clean = html("<h1>Title</h1><p>One &amp; two,\n   three &lt;3</p><p>x</p>y<ul><li>a</li></ul>", None);
        assert_eq!(text_of_clean(&clean), "Title\nOne & two, three <3\nx\ny\na");
        let text = plain_text(
            "<h1>Title</h1><p>One &amp; two,\n   three.</p><script>var x;</script><ul><li>a</li><li>b</li></ul>",
        );
        assert_eq!(text, "Title\nOne & two, three.\na\nb");
        assert_eq!(plain_text("中文<br>第二行"), "中文\n第二行");
    }
}
