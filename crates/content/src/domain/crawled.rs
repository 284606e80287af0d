//! Posts of sources, made from the crawler's entries. The crawler's text is not trusted more
//! than a person's: it is cut to the post limit, its entities to their caps, and it mentions
//! nobody (an article's `@name` must not notify one of our users).

use contracts::{Visibility, crawler::Entry};
use text::Entities;

use super::posts::NewPost;
use crate::config::ContentConfig;

/// The post an entry becomes.
pub fn new_post(limits: &ContentConfig, entry: &Entry) -> NewPost {
    NewPost {
        text: fit(&entry.text, limits.max_post_chars),
        visibility: Visibility::Public,
        language: entry
            .language
            .clone()
            .filter(|l| l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
        reply_to: None,
        media_ids: Vec::new(),
    }
}

/// `text` without control characters (but newlines) and within `max` characters, cut with `…`.
pub fn fit(text: &str, max: usize) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The entities of a source's post: at most the caps of each kind, and no mentions.
pub fn entities(limits: &ContentConfig, text: &str) -> Entities {
    let mut entities = text::extract(text);
    entities.tags.truncate(limits.max_tags_per_post);
    entities.links.truncate(limits.max_links_per_post);
    entities.mentions.clear();
    entities
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_and_nobody_is_mentioned() {
        let limits = ContentConfig { max_post_chars: 10, max_tags_per_post: 2, ..ContentConfig::default() };
        assert_eq!(fit("一二三四五六七八九十十一", 10), "一二三四五六七八九…");
        assert_eq!(fit("ok\u{0}\nfine", 10), "ok\nfine");
        let e = entities(&limits, "#a #b #c @grace https://x.org");
        assert_eq!(e.tags, ["a", "b"]);
        assert!(e.mentions.is_empty());
        assert_eq!(e.links, ["https://x.org"]);
    }
}
