//! Accounts of sources: how the names a feed gives (anything at all) become a valid account's.
//! A source's account is made from the crawler's events, so nothing here may refuse: a name that
//! breaks a rule is repaired instead.

use super::fields::{DisplayName, Username};

/// The most suffixes tried for a taken username before giving up (and retrying the event).
const SUFFIXES: usize = 50;

/// The usernames to try for a source, best first: the crawler's proposal made valid, then the
/// same with `_2`, `_3`, ... (kept within 30 characters).
pub fn username_candidates(proposed: &str) -> Vec<Username> {
    let mut base: String = proposed
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base = if base.is_empty() { "feed".to_owned() } else { format!("feed_{base}") };
    }
    base.truncate(26);
    let mut base = base.trim_end_matches('_').to_owned();
    if Username::parse(&base).is_err() {
        // Too short, or a reserved name.
        base.push_str("_feed");
    }
    std::iter::once(base.clone())
        .chain((2..=SUFFIXES).map(|n| format!("{base}_{n}")))
        .filter_map(|name| Username::parse(&name).ok())
        .collect()
}

/// A display name from a feed's title: control characters and runs of whitespace become one
/// space, at most 50 characters; `fallback` when nothing is left.
pub fn display_name(title: &str, fallback: &Username) -> DisplayName {
    let cleaned: String = title
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(50)
        .collect();
    DisplayName::parse(&cleaned)
        .or_else(|_| DisplayName::parse(fallback.as_str()))
        .expect("a username is a valid display name")
}

/// A bio from a feed's description, cut to what a bio may hold.
pub fn bio(description: &str) -> String {
    description.chars().filter(|c| !c.is_control() || *c == '\n').take(super::accounts::BIO_MAX_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_proposal_is_repaired_and_suffixed() {
        let names: Vec<String> =
            username_candidates("Blog.Example.org").iter().take(3).map(|u| u.as_str().to_owned()).collect();
        assert_eq!(names, ["blog_example_org", "blog_example_org_2", "blog_example_org_3"]);
        assert_eq!(username_candidates("123.cn")[0].as_str(), "feed_123_cn");
        assert_eq!(username_candidates("admin")[0].as_str(), "admin_feed");
        assert_eq!(username_candidates("新闻")[0].as_str(), "feed");
        assert_eq!(username_candidates("ab")[0].as_str(), "ab_feed");
    }

    #[test]
    fn titles_become_display_names() {
        let fallback = Username::parse("example_org").unwrap();
        assert_eq!(display_name("  Hacker\n\tNews  ", &fallback).as_str(), "Hacker News");
        assert_eq!(display_name("\u{7}", &fallback).as_str(), "example_org");
        assert_eq!(display_name(&"长".repeat(80), &fallback).as_str().chars().count(), 50);
    }

    proptest! {
        #[test]
        fn every_proposal_gives_valid_distinct_usernames(proposed in "\\PC{0,80}") {
            let names = username_candidates(&proposed);
            prop_assert!(names.len() >= 40);
            let mut keys: Vec<String> = names.iter().map(Username::key).collect();
            keys.sort();
            keys.dedup();
            prop_assert_eq!(keys.len(), names.len());
        }
    }
}
