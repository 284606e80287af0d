//! ZSCAN and the glob matcher behind its MATCH option.
//!
//! Cursor semantics: a packed (small) set is returned whole with cursor 0,
//! like Redis's listpack. A tree set is walked in the order of a 63-bit
//! member hash; the cursor is the next hash value to visit. Members present
//! for the whole scan are therefore returned at least once no matter how the
//! set changes in between (the Redis guarantee), because a member's hash
//! never changes while ranks do.

use std::hash::BuildHasher;

use super::parse;
use super::range::ScoredMember;
use crate::error::ZError;
use crate::hash::MemberHashBuilder;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::zset::{Encoding, ZSet};

fn scan_key(hasher: &MemberHashBuilder, member: &[u8]) -> u64 {
    hasher.hash_one(member) >> 1
}

/// One ZSCAN step over `set`.
fn scan_step(set: &ZSet, cursor: u64, count: usize) -> (u64, Vec<ScoredMember>) {
    let all = |set: &ZSet| {
        let mut out = Vec::with_capacity(set.len());
        set.visit(0, set.len(), false, &mut |m, s| {
            out.push(ScoredMember { member: m.to_vec(), score: s });
            true
        });
        out
    };
    if matches!(set.encoding(), Encoding::IntPacked | Encoding::BytesPacked) {
        return (0, all(set));
    }
    let hasher = MemberHashBuilder::default();
    let mut keyed: Vec<(u64, ScoredMember)> =
        all(set).into_iter().map(|e| (scan_key(&hasher, &e.member), e)).filter(|(k, _)| *k >= cursor).collect();
    keyed.sort_unstable_by_key(|(k, _)| *k);
    let mut take = count.min(keyed.len());
    // Never split members sharing a hash across two calls.
    while take > 0 && take < keyed.len() && keyed[take].0 == keyed[take - 1].0 {
        take += 1;
    }
    let next = if take >= keyed.len() { 0 } else { keyed[take - 1].0 + 1 };
    keyed.truncate(take);
    (next, keyed.into_iter().map(|(_, e)| e).collect())
}

impl Keyspace {
    /// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: returns the next
    /// cursor (0 when done) and a batch of entries.
    pub fn zscan(&self, key: &[u8], cursor: u64, pattern: Option<&[u8]>, count: usize) -> (u64, Vec<ScoredMember>) {
        self.read(key, |set| {
            let Some(set) = set else {
                return (0, Vec::new());
            };
            let (next, mut items) = scan_step(set, cursor, count.max(1));
            if let Some(p) = pattern {
                items.retain(|e| glob_match(p, &e.member));
            }
            (next, items)
        })
    }
}

/// `strtoul`-compatible cursor parsing (Redis's `parseScanCursorOrReply`).
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() {
        return Some(0); // strtoul converts nothing and leaves eptr at the NUL
    }
    let (negative, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(if negative { value.wrapping_neg() } else { value })
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`
pub(super) fn zscan(ks: &Keyspace, argv: &[&[u8]]) -> Result<Reply, ZError> {
    let cursor = parse_cursor(argv[2]).ok_or_else(|| ZError::err("invalid cursor"))?;
    if ks.read(argv[1], |set| set.is_none()) {
        // Redis looks the key up before it parses the options.
        return Ok(Reply::Array(vec![Reply::bulk(b"0"), Reply::Array(Vec::new())]));
    }
    let mut count = 10usize;
    let mut pattern = None;
    let mut i = 3;
    while i < argv.len() {
        let left = argv.len() - i;
        if parse::is(argv[i], "count") && left >= 2 {
            let n = parse::integer(argv[i + 1])?;
            if n < 1 {
                return Err(ZError::syntax());
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 2;
        } else if parse::is(argv[i], "match") && left >= 2 {
            let p = argv[i + 1];
            pattern = if p == b"*" { None } else { Some(p) };
            i += 2;
        } else {
            return Err(ZError::syntax());
        }
    }
    let (next, items) = ks.zscan(argv[1], cursor, pattern, count);
    let mut flat = Vec::with_capacity(items.len() * 2);
    for item in items {
        flat.push(Reply::Bulk(item.member));
        flat.push(Reply::Double(item.score));
    }
    Ok(Reply::Array(vec![Reply::Bulk(next.to_string().into_bytes()), Reply::Array(flat)]))
}

/// Redis's `stringmatchlen` (case-sensitive): `*`, `?`, `[...]` with `^`
/// and ranges, and `\` escapes.
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    while p < pattern.len() {
        match pattern[p] {
            b'*' => {
                while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pattern.len() {
                    return true;
                }
                return (t..=text.len()).any(|start| glob_match(&pattern[p + 1..], &text[start..]));
            }
            b'?' => {
                if t >= text.len() {
                    return false;
                }
                t += 1;
            }
            b'[' => {
                if t >= text.len() {
                    return false;
                }
                p += 1;
                let negate = pattern.get(p) == Some(&b'^');
                if negate {
                    p += 1;
                }
                let mut matched = false;
                loop {
                    match pattern.get(p) {
                        None => {
                            p -= 1; // unterminated class: Redis treats end as `]`
                            break;
                        }
                        Some(b']') => break,
                        Some(b'\\') if p + 2 < pattern.len() => {
                            p += 1;
                            matched |= pattern[p] == text[t];
                        }
                        Some(&lo) if pattern.get(p + 1) == Some(&b'-') && p + 2 < pattern.len() => {
                            let hi = pattern[p + 2];
                            let (lo, hi) = if lo > hi { (hi, lo) } else { (lo, hi) };
                            p += 2;
                            matched |= (lo..=hi).contains(&text[t]);
                        }
                        Some(&c) => matched |= c == text[t],
                    }
                    p += 1;
                }
                if matched == negate {
                    return false;
                }
                t += 1;
            }
            c => {
                let c = if c == b'\\' && p + 1 < pattern.len() {
                    p += 1;
                    pattern[p]
                } else {
                    c
                };
                if text.get(t) != Some(&c) {
                    return false;
                }
                t += 1;
            }
        }
        p += 1;
    }
    t == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_redis() {
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"a*c", b"abbc"));
        assert!(!glob_match(b"a*c", b"abcd"));
        assert!(glob_match(b"h?llo", b"hello"));
        assert!(glob_match(b"h[ae]llo", b"hallo"));
        assert!(!glob_match(b"h[^e]llo", b"hello"));
        assert!(glob_match(b"h[a-b]llo", b"hbllo"));
        assert!(glob_match(b"1*", b"123"));
        assert!(glob_match(b"a\\*", b"a*"));
        assert!(!glob_match(b"a\\*", b"ab"));
    }

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"x"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"99999999999999999999"), None);
    }
}
