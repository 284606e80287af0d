//! Members: integer post ids stored as `u64`, everything else as bytes.
//!
//! Redis orders members of equal score by their raw bytes (`memcmp`, then
//! length). Timeline members are post ids, i.e. canonical decimal integers, so
//! a set whose members are all canonical `u64`s stores them as 8-byte
//! integers and computes the byte order of their decimal forms without
//! allocating. Any other member switches the whole set to the byte-string
//! representation (see `zset.rs`).

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt::Debug;
use std::hash::Hash;

/// The longest decimal form of a `u64` (`18446744073709551615`).
pub const MAX_U64_DIGITS: usize = 20;

/// A stored member representation. Implemented for `u64` (canonical decimal
/// integers) and `Box<[u8]>` (anything).
pub trait Member: Clone + Default + Eq + Hash + Debug + Send + Sync + Borrow<Self::Query> + 'static {
    /// The borrowed form used for lookups (`u64` or `[u8]`).
    type Query: ?Sized + Eq + Hash + Debug;

    /// Redis's tie order: byte-wise comparison of the client-visible bytes.
    fn tie_cmp(&self, other: &Self) -> Ordering;

    /// Calls `f` with the client-visible bytes of the member.
    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R;

    /// The client-visible bytes, owned.
    fn to_vec(&self) -> Vec<u8> {
        self.with_bytes(<[u8]>::to_vec)
    }

    /// Converts a query to an owned member.
    fn from_query(query: &Self::Query) -> Self;
}

impl Member for u64 {
    type Query = u64;

    #[inline]
    fn tie_cmp(&self, other: &Self) -> Ordering {
        decimal_cmp(*self, *other)
    }

    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let mut buf = [0u8; MAX_U64_DIGITS];
        f(format_u64(*self, &mut buf))
    }

    fn from_query(query: &u64) -> Self {
        *query
    }
}

impl Member for Box<[u8]> {
    type Query = [u8];

    #[inline]
    fn tie_cmp(&self, other: &Self) -> Ordering {
        // Slice `Ord` is memcmp-then-length, exactly Redis's `sdscmp`.
        self[..].cmp(&other[..])
    }

    fn with_bytes<R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        f(self)
    }

    fn from_query(query: &[u8]) -> Self {
        query.into()
    }
}

/// Parses `bytes` as a member that the integer representation can hold:
/// the canonical decimal form of a `u64` (digits only, no sign, no leading
/// zeros unless the value is `0`). Anything else must stay bytes, or the
/// member would not round-trip to the same bytes.
#[inline]
pub fn parse_canonical_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > MAX_U64_DIGITS {
        return None;
    }
    if bytes[0] == b'0' && bytes.len() > 1 {
        return None;
    }
    let mut value: u64 = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    Some(value)
}

/// Writes the decimal form of `value` into the tail of `buf` and returns it.
#[inline]
pub fn format_u64(mut value: u64, buf: &mut [u8; MAX_U64_DIGITS]) -> &[u8] {
    let mut pos = MAX_U64_DIGITS;
    loop {
        pos -= 1;
        buf[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// Number of decimal digits of `value` (1 for 0).
#[inline]
pub fn decimal_digits(value: u64) -> u32 {
    match value.checked_ilog10() {
        Some(log) => log + 1,
        None => 1,
    }
}

/// Compares the decimal strings of `a` and `b` byte-wise without building
/// them: shorten the longer number to the other's digit count (its leading
/// digits); if the prefixes differ they decide, otherwise the shorter string
/// is a prefix of the longer one and sorts first. Hence "1" < "10" < "9".
#[inline]
pub fn decimal_cmp(a: u64, b: u64) -> Ordering {
    let (da, db) = (decimal_digits(a), decimal_digits(b));
    match da.cmp(&db) {
        Ordering::Equal => a.cmp(&b),
        Ordering::Less => {
            let prefix = b / 10u64.pow(db - da);
            a.cmp(&prefix).then(Ordering::Less)
        }
        Ordering::Greater => {
            let prefix = a / 10u64.pow(da - db);
            prefix.cmp(&b).then(Ordering::Greater)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_u64_parsing() {
        assert_eq!(parse_canonical_u64(b"0"), Some(0));
        assert_eq!(parse_canonical_u64(b"18446744073709551615"), Some(u64::MAX));
        for bad in [&b""[..], b"00", b"01", b"-1", b"+1", b"18446744073709551616", b"1a", b" 1"] {
            assert_eq!(parse_canonical_u64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn decimal_order_equals_byte_order() {
        let samples = [
            0,
            1,
            2,
            9,
            10,
            11,
            19,
            90,
            99,
            100,
            101,
            1000,
            123456,
            999_999_999,
            1_000_000_000,
            u64::MAX / 10,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &a in &samples {
            for &b in &samples {
                let expected = a.to_string().as_bytes().cmp(b.to_string().as_bytes());
                assert_eq!(decimal_cmp(a, b), expected, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn formats_u64() {
        let mut buf = [0; MAX_U64_DIGITS];
        assert_eq!(format_u64(0, &mut buf), b"0");
        assert_eq!(format_u64(u64::MAX, &mut buf), b"18446744073709551615");
    }
}
