//! Post text: its length in characters, and the entities in it (hashtags, mentions, links),
//! for English and Chinese alike.
//!
//! Hashtags are `#` followed by letters, digits or `_` in any script, so `#rust编程` and the
//! Weibo style `#今日话题#` both work, and they end at punctuation, including full-width
//! punctuation such as `，` and `。`. Tags are compared in Unicode NFKC lowercase, so `#Rust`,
//! `#RUST` and full-width `#Ｒｕｓｔ` are one tag. Mentions are `@` and a username, not preceded
//! by a letter or digit (so `ada@example.org` is not a mention).

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use utoipa::ToSchema;

/// What a post's text refers to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entities {
    /// Normalized tags without `#`, in order of first appearance, without duplicates.
    pub tags: Vec<String>,
    /// Usernames without `@`, as written, without duplicates (case-insensitive).
    pub mentions: Vec<String>,
    /// `http(s)` URLs.
    pub links: Vec<String>,
}

/// Longest tag kept, in characters; longer runs are not tags.
const MAX_TAG_CHARS: usize = 64;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The normal form tags are stored and looked up in.
pub fn normalize_tag(tag: &str) -> String {
    tag.nfkc().collect::<String>().to_lowercase()
}

/// A piece of a post's text, in order: what the web app renders as plain text or as a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    /// A hashtag as written (with its `#`, and the closing `#` of the Weibo style), and its
    /// normal form.
    Tag {
        written: &'a str,
        tag: String,
    },
    /// A mention as written, with its `@`; `name` is the username.
    Mention {
        written: &'a str,
        name: &'a str,
    },
    /// An `http(s)` URL.
    Link(&'a str),
}

/// The text cut into plain runs and entities. Concatenating every segment's text gives the
/// input back; a `#` or `@` inside a link belongs to the link.
pub fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    let mut out = Vec::new();
    let mut done = 0;
    for link in finder.links(text) {
        let lower = link.as_str().get(..8).unwrap_or(link.as_str()).to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            tags_and_mentions(text, done, link.start(), &mut out);
            out.push(Segment::Link(link.as_str()));
            done = link.end();
        }
    }
    tags_and_mentions(text, done, text.len(), &mut out);
    out
}

/// Appends the segments of `text[from..to]`, a stretch without links. The character before
/// `from` still decides whether a sign at `from` follows a word.
fn tags_and_mentions<'a>(text: &'a str, from: usize, to: usize, out: &mut Vec<Segment<'a>>) {
    let stretch = &text[from..to];
    let chars: Vec<(usize, char)> = stretch.char_indices().map(|(i, c)| (from + i, c)).collect();
    let at = |k: usize| chars.get(k).map_or(to, |&(i, _)| i);
    let mut previous = text[..from].chars().next_back();
    let mut plain = from;
    let mut k = 0;
    while k < chars.len() {
        let (i, c) = chars[k];
        // `abc#x` and `ada@example.org` are not entities, but Chinese has no spaces between
        // words, so only a Latin letter, digit or `_` before the sign disqualifies it.
        let after_word = previous.is_some_and(|p| p.is_ascii_alphanumeric() || p == '_');
        let mut entity = None;
        if (c == '#' || c == '＃') && !after_word {
            let end = (k + 1..chars.len()).find(|&j| !is_word(chars[j].1)).unwrap_or(chars.len());
            let name = &text[at(k + 1)..at(end)];
            let len = end - k - 1;
            // Weibo style `#topic#`: the closing sign ends this tag rather than opening another.
            let closed = end < chars.len() && (chars[end].1 == '#' || chars[end].1 == '＃');
            let stop = if closed { end + 1 } else { end };
            // A tag needs a letter: "#1" is a number, not a topic.
            if (1..=MAX_TAG_CHARS).contains(&len) && name.chars().any(char::is_alphabetic) {
                entity = Some((stop, Segment::Tag { written: &text[i..at(stop)], tag: normalize_tag(name) }));
            } else if closed {
                entity = Some((stop, Segment::Text(&text[i..at(stop)])));
            }
        } else if c == '@' && !after_word {
            let end = (k + 1..chars.len())
                .find(|&j| !(chars[j].1.is_ascii_alphanumeric() || chars[j].1 == '_'))
                .unwrap_or(chars.len());
            let name = &text[at(k + 1)..at(end)];
            if (3..=30).contains(&name.len()) && name.starts_with(|c: char| c.is_ascii_alphabetic()) {
                entity = Some((end, Segment::Mention { written: &text[i..at(end)], name }));
            }
        }
        match entity {
            Some((stop, segment)) => {
                if plain < i {
                    out.push(Segment::Text(&text[plain..i]));
                }
                if let Segment::Text(piece) = segment {
                    // A run of signs (`##`) is text, but it must not join a tag after it.
                    out.push(Segment::Text(piece));
                } else {
                    out.push(segment);
                }
                plain = at(stop);
                previous = text[..plain].chars().next_back();
                k = stop;
            }
            None => {
                previous = Some(c);
                k += 1;
            }
        }
    }
    if plain < to {
        out.push(Segment::Text(&text[plain..to]));
    }
}

/// Finds the entities of `text`.
pub fn extract(text: &str) -> Entities {
    let mut entities = Entities::default();
    for segment in segments(text) {
        match segment {
            Segment::Text(_) => {}
            Segment::Tag { tag, .. } => {
                if !entities.tags.contains(&tag) {
                    entities.tags.push(tag);
                }
            }
            Segment::Mention { name, .. } => {
                if !entities.mentions.iter().any(|m| m.eq_ignore_ascii_case(name)) {
                    entities.mentions.push(name.to_owned());
                }
            }
            Segment::Link(url) => {
                if !entities.links.iter().any(|l| l == url) {
                    entities.links.push(url.to_owned());
                }
            }
        }
    }
    entities
}

/// The length limits count characters, not bytes: 500 Chinese characters fit in 500.
pub fn char_count(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn english_hashtags_mentions_and_links() {
        let e =
            extract("Hello @ada_l and @Ada_L! #Rust #rust, #2024 see https://example.org/a?b=c. mail ada@example.org");
        assert_eq!(e.tags, ["rust"]);
        assert_eq!(e.mentions, ["ada_l"]);
        assert_eq!(e.links, ["https://example.org/a?b=c"]);
    }

    #[test]
    fn chinese_hashtags_end_at_full_width_punctuation() {
        let e = extract("我喜欢#rust编程，也关注#今日话题#和＃开源。链接：https://例子.cn/路径");
        assert_eq!(e.tags, ["rust编程", "今日话题", "开源"]);
        assert_eq!(e.links.len(), 1);
    }

    #[test]
    fn full_width_and_case_variants_are_one_tag() {
        assert_eq!(extract("#Ｒｕｓｔ #RUST").tags, ["rust"]);
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        assert_eq!(char_count("你好世界"), 4);
        assert_eq!(char_count("héllo"), 5);
    }

    #[test]
    fn segments_cut_the_text_into_runs_and_entities() {
        let s = segments("hi @ada see https://x.org/#frag #今日话题#!");
        assert_eq!(
            s,
            [
                Segment::Text("hi "),
                Segment::Mention { written: "@ada", name: "ada" },
                Segment::Text(" see "),
                Segment::Link("https://x.org/#frag"),
                Segment::Text(" "),
                Segment::Tag { written: "#今日话题#", tag: "今日话题".into() },
                Segment::Text("!"),
            ]
        );
    }

    #[test]
    fn a_fragment_in_a_link_is_not_a_tag() {
        assert!(extract("https://example.org/page#section").tags.is_empty());
    }

    proptest! {
        #[test]
        fn segments_give_the_text_back(text in "\\PC{0,200}") {
            let joined: String = segments(&text)
                .into_iter()
                .map(|s| match s {
                    Segment::Text(t) | Segment::Link(t) => t.to_owned(),
                    Segment::Tag { written, .. } | Segment::Mention { written, .. } => written.to_owned(),
                })
                .collect();
            prop_assert_eq!(joined, text);
        }

        #[test]
        fn extraction_never_panics_and_tags_are_normalized(text in "\\PC{0,200}") {
            let e = extract(&text);
            for tag in &e.tags {
                prop_assert_eq!(tag, &normalize_tag(tag));
                prop_assert!(!tag.is_empty());
            }
        }
    }
}
