//! The search box's language: words, `"phrases"`, `#tag`, `@user` or `from:user`,
//! `before:`/`after:` dates, `lang:`, `has:media`, and `-` before any of the first four to
//! exclude it. Parsed by hand into [`Query`] with a clear error that says where the problem is;
//! bounded in length and in terms, and without wildcards, so a query's cost is bounded too.

use time::{Date, Month, OffsetDateTime, Time};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 512;
/// Most words, phrases, tags and people in one query.
pub const MAX_TERMS: usize = 16;

/// Words or a phrase, as typed (analyzed later, with the index's analyzer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Word(String),
    Phrase(String),
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub include: Vec<Text>,
    pub exclude: Vec<Text>,
    /// Normalized as posts' tags are.
    pub tags: Vec<String>,
    pub exclude_tags: Vec<String>,
    /// Usernames, lowercase.
    pub from: Vec<String>,
    pub exclude_from: Vec<String>,
    pub language: Option<String>,
    pub has_media: bool,
    /// Posts created before this instant (the start of the `before:` day, UTC), in ms.
    pub before_ms: Option<i64>,
    /// Posts created from this instant on (the start of the day after `after:`), in ms.
    pub after_ms: Option<i64>,
}

/// What is wrong with a query, and at which character (0-based) it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {at})")]
pub struct QueryError {
    pub at: usize,
    pub message: String,
}

fn error(at: usize, message: impl Into<String>) -> QueryError {
    QueryError { at, message: message.into() }
}

/// One piece of the query as typed: its start (in characters), whether it is negated, and
/// the text (a phrase's without its quotes).
struct Piece {
    at: usize,
    negated: bool,
    quoted: bool,
    text: String,
}

fn pieces(raw: &str) -> Result<Vec<Piece>, QueryError> {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        let negated = chars[i] == '-' && chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
        if negated {
            i += 1;
        }
        if chars[i] == '"' {
            let close =
                chars[i + 1..].iter().position(|c| *c == '"').ok_or_else(|| error(i, "this quote is never closed"))?;
            let text: String = chars[i + 1..i + 1 + close].iter().collect();
            if text.trim().is_empty() {
                return Err(error(i, "an empty phrase"));
            }
            out.push(Piece { at, negated, quoted: true, text });
            i += close + 2;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() {
            i += 1;
        }
        out.push(Piece { at, negated, quoted: false, text: chars[start..i].iter().collect() });
    }
    Ok(out)
}

/// Parses what someone typed into the search box.
pub fn parse(raw: &str) -> Result<Query, QueryError> {
    let length = raw.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(error(MAX_QUERY_CHARS, format!("a query may be at most {MAX_QUERY_CHARS} characters")));
    }
    let mut query = Query::default();
    let mut terms = 0;
    for piece in pieces(raw)? {
        let Piece { at, negated, quoted, text } = piece;
        if quoted {
            let list = if negated { &mut query.exclude } else { &mut query.include };
            list.push(Text::Phrase(text));
            terms += 1;
        } else if let Some(tag) = text.strip_prefix('#') {
            let tag = text::normalize_tag(tag);
            if tag.is_empty() {
                return Err(error(at, "a # with no tag after it"));
            }
            let list = if negated { &mut query.exclude_tags } else { &mut query.tags };
            list.push(tag);
            terms += 1;
        } else if let Some(user) = text.strip_prefix('@').or_else(|| operand(&text, "from")) {
            let list = if negated { &mut query.exclude_from } else { &mut query.from };
            list.push(username(at, user)?);
            terms += 1;
        } else if let Some(value) = operand(&text, "lang") {
            refuse_negation(at, negated, "lang:")?;
            let valid = (2..=8).contains(&value.len()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !valid {
                return Err(error(at, "lang: takes a language code such as en or zh"));
            }
            query.language = Some(value.to_ascii_lowercase());
        } else if let Some(value) = operand(&text, "has") {
            refuse_negation(at, negated, "has:")?;
            if !value.eq_ignore_ascii_case("media") {
                return Err(error(at, "has: takes media"));
            }
            query.has_media = true;
        } else if let Some(value) = operand(&text, "before") {
            refuse_negation(at, negated, "before:")?;
            query.before_ms = Some(day_start_ms(at, value)?);
        } else if let Some(value) = operand(&text, "after") {
            refuse_negation(at, negated, "after:")?;
            query.after_ms = Some(day_start_ms(at, value)? + 86_400_000);
        } else {
            if let Some(offset) = text.find(['*', '?']) {
                return Err(error(at + text[..offset].chars().count(), "wildcards are not supported"));
            }
            let list = if negated { &mut query.exclude } else { &mut query.include };
            list.push(Text::Word(text));
            terms += 1;
        }
        if terms > MAX_TERMS {
            return Err(error(at, format!("a query may hold at most {MAX_TERMS} words, phrases, tags and people")));
        }
    }
    let positive = !query.include.is_empty() || !query.tags.is_empty() || !query.from.is_empty();
    if !positive {
        return Err(error(0, "say what to look for: a word, a phrase, a #tag or a person"));
    }
    if let (Some(before), Some(after)) = (query.before_ms, query.after_ms)
        && after >= before
    {
        return Err(error(0, "after: must be a day before before:"));
    }
    Ok(query)
}

/// `value` of `name:value`, the name in any case.
fn operand<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let (key, value) = text.split_once(':')?;
    key.eq_ignore_ascii_case(name).then_some(value)
}

fn refuse_negation(at: usize, negated: bool, what: &str) -> Result<(), QueryError> {
    if negated { Err(error(at, format!("{what} cannot be excluded with -"))) } else { Ok(()) }
}

fn username(at: usize, raw: &str) -> Result<String, QueryError> {
    let valid = (1..=30).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(error(at, "a username has 1 to 30 letters, digits and _"));
    }
    Ok(raw.to_ascii_lowercase())
}

/// The start of day `YYYY-MM-DD` (UTC), in ms.
fn day_start_ms(at: usize, raw: &str) -> Result<i64, QueryError> {
    let bad = || error(at, "a date is written YYYY-MM-DD");
    let mut parts = raw.splitn(3, '-').map(str::parse::<i32>);
    let (Some(Ok(year)), Some(Ok(month)), Some(Ok(day))) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    let month = u8::try_from(month).ok().and_then(|m| Month::try_from(m).ok()).ok_or_else(bad)?;
    let date = Date::from_calendar_date(year, month, u8::try_from(day).map_err(|_| bad())?).map_err(|_| bad())?;
    let at_midnight = OffsetDateTime::new_utc(date, Time::MIDNIGHT);
    Ok(at_midnight.unix_timestamp() * 1000)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn every_operator() {
        let query = parse(r#"rust "sorted set" -java #Rust -#spam @ada -from:bob lang:EN has:media after:2026-01-01 before:2026-02-01"#)
            .unwrap();
        assert_eq!(query.include, [Text::Word("rust".into()), Text::Phrase("sorted set".into())]);
        assert_eq!(query.exclude, [Text::Word("java".into())]);
        assert_eq!((query.tags, query.exclude_tags), (vec!["rust".to_owned()], vec!["spam".to_owned()]));
        assert_eq!((query.from, query.exclude_from), (vec!["ada".to_owned()], vec!["bob".to_owned()]));
        assert_eq!(query.language.as_deref(), Some("en"));
        assert!(query.has_media);
        assert_eq!(query.after_ms, Some(1_767_312_000_000), "from the day after");
        assert_eq!(query.before_ms, Some(1_769_904_000_000));
        assert_eq!(parse("北京大学").unwrap().include, [Text::Word("北京大学".into())]);
    }

    #[test]
    fn errors_say_where() {
        for (raw, at, says) in [
            (r#"rust "sorted set"#, 5, "never closed"),
            ("foo *bar", 4, "wildcards"),
            ("foo ba?r", 6, "wildcards"),
            ("rust before:2026-13-01", 5, "YYYY-MM-DD"),
            ("rust has:links", 5, "has: takes media"),
            ("rust -lang:en", 5, "cannot be excluded"),
            ("-rust lang:en", 0, "say what to look for"),
            ("", 0, "say what to look for"),
            ("@not-a-name", 0, "username"),
            ("a after:2026-02-01 before:2026-01-01", 0, "after:"),
        ] {
            let err = parse(raw).unwrap_err();
            assert_eq!(err.at, at, "{raw}: {err}");
            assert!(err.message.contains(says), "{raw}: {err}");
        }
        assert!(parse(&"a ".repeat(17)).unwrap_err().message.contains("at most 16"));
        assert!(parse(&"a".repeat(MAX_QUERY_CHARS + 1)).unwrap_err().message.contains("at most 512"));
    }

    proptest! {
        #[test]
        fn any_input_parses_or_is_refused_without_panicking(raw in "\\PC{0,600}") {
            match parse(&raw) {
                Ok(query) => prop_assert!(query.include.len() + query.tags.len() + query.from.len() > 0),
                Err(err) => prop_assert!(err.at <= raw.chars().count().max(MAX_QUERY_CHARS)),
            }
        }
    }
}
