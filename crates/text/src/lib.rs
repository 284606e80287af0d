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

/// Finds the entities of `text`.
pub fn extract(text: &str) -> Entities {
    let mut entities = Entities::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // `abc#x` and `ada@example.org` are not entities, but Chinese has no spaces between
        // words, so only a Latin letter, digit or `_` before the sign disqualifies it.
        let after_word = i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_');
        if (c == '#' || c == '＃') && !after_word {
            let end = (i + 1..chars.len()).find(|&j| !is_word(chars[j])).unwrap_or(chars.len());
            let tag: String = chars[i + 1..end].iter().collect();
            let len = end - i - 1;
            // A tag needs a letter: "#1" is a number, not a topic.
            if (1..=MAX_TAG_CHARS).contains(&len) && tag.chars().any(char::is_alphabetic) {
                let tag = normalize_tag(&tag);
                if !entities.tags.contains(&tag) {
                    entities.tags.push(tag);
                }
            }
            // Weibo style `#topic#`: the closing sign ends this tag rather than opening another.
            let closed = end < chars.len() && (chars[end] == '#' || chars[end] == '＃');
            i = if closed { end + 1 } else { end.max(i + 1) };
            continue;
        }
        if c == '@' && !after_word {
            let end = (i + 1..chars.len())
                .find(|&j| !(chars[j].is_ascii_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            let name: String = chars[i + 1..end].iter().collect();
            if (3..=30).contains(&name.len())
                && name.starts_with(|c: char| c.is_ascii_alphabetic())
                && !entities.mentions.iter().any(|m| m.eq_ignore_ascii_case(&name))
            {
                entities.mentions.push(name);
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url]);
    for link in finder.links(text) {
        let url = link.as_str();
        let lower = url.to_ascii_lowercase();
        if (lower.starts_with("http://") || lower.starts_with("https://")) && !entities.links.iter().any(|l| l == url) {
            entities.links.push(url.to_owned());
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

    proptest! {
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
