//! Feeds arbitrary text to `text::extract`: no input may panic, and what it
//! finds must hold the promises the content service builds on (tags stored in
//! normal form, mentions that are valid usernames, links that are in the text).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Posts arrive as JSON strings, so only valid UTF-8 reaches the parser.
    let Ok(input) = std::str::from_utf8(data) else { return };
    let entities = text::extract(input);
    for tag in &entities.tags {
        assert!(!tag.is_empty());
        assert_eq!(tag, &text::normalize_tag(tag), "tags are stored normalized");
    }
    let mut tags = entities.tags.clone();
    tags.sort();
    tags.dedup();
    assert_eq!(tags.len(), entities.tags.len(), "tags are unique");
    for name in &entities.mentions {
        assert!((3..=30).contains(&name.len()));
        assert!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        assert!(input.contains(&format!("@{name}")));
    }
    for link in &entities.links {
        assert!(input.contains(link.as_str()), "a link is a piece of the text");
        let lower = link.to_ascii_lowercase();
        assert!(lower.starts_with("http://") || lower.starts_with("https://"));
    }
    assert_eq!(text::char_count(input), input.chars().count());
});
