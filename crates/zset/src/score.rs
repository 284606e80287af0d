//! Scores: the order-preserving `u64` image of an `f64`, and Redis's rules
//! for parsing and printing doubles.
//!
//! Redis scores are IEEE doubles, so the engine gives them f64 semantics
//! (two post ids above 2^53 may collapse to one score, and ties then fall back
//! to member order) exactly as Redis does. Storing the bits as an
//! order-preserving `u64` costs the same 8 bytes and turns every comparison
//! into one integer compare.

use std::fmt::Write as _;

/// A score mapped to a `u64` whose unsigned order equals the numeric order of
/// the scores.
///
/// NaN never becomes a `ScoreKey`: every constructor is fed a non-NaN value
/// (parsers reject NaN and arithmetic results are checked first).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct ScoreKey(pub u64);

impl ScoreKey {
    /// The smallest possible key (the image of `-inf`).
    pub const MIN: ScoreKey = ScoreKey(0x000F_FFFF_FFFF_FFFF);
    /// The largest possible key (the image of `+inf`).
    pub const MAX: ScoreKey = ScoreKey(0xFFF0_0000_0000_0000);

    /// Maps `score` to its key. `-0.0` is canonicalised to `+0.0`: Redis
    /// treats them as equal (`score != curscore` is false) and the listpack
    /// encoding prints `0` for both, so one image keeps us consistent.
    #[inline]
    pub fn from_f64(score: f64) -> ScoreKey {
        debug_assert!(!score.is_nan(), "NaN scores must be rejected before storage");
        let score = if score == 0.0 { 0.0 } else { score };
        let bits = score.to_bits();
        // Positive numbers: flip the sign bit so they sort above negatives.
        // Negative numbers: invert everything so larger magnitudes sort lower.
        if bits >> 63 == 0 { ScoreKey(bits | (1 << 63)) } else { ScoreKey(!bits) }
    }

    /// The inverse of [`ScoreKey::from_f64`].
    #[inline]
    pub fn to_f64(self) -> f64 {
        let bits = if self.0 >> 63 == 1 { self.0 & !(1 << 63) } else { !self.0 };
        f64::from_bits(bits)
    }
}

/// Is `b` a C `isspace` character (what `strtod` skips)?
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Parses a double the way Redis 7.0's `getDoubleFromObject` does: the
/// whole string must be a number, no leading whitespace, no NaN, and no
/// overflow to infinity or underflow to zero (`strtod` reports `ERANGE`).
///
/// Known difference: glibc `strtod` also accepts hexadecimal floats
/// (`0x10`); we do not.
pub fn parse_strict(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() || is_c_space(bytes[0]) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let value: f64 = text.parse().ok()?;
    if value.is_nan() {
        return None;
    }
    if value.is_infinite() && !is_infinity_literal(text) {
        return None; // overflow: strtod returns HUGE_VAL with ERANGE
    }
    if value == 0.0 && has_nonzero_mantissa_digit(text) {
        return None; // underflow to zero: strtod returns 0 with ERANGE
    }
    Some(value)
}

/// Parses a score-range bound body the way `zslParseRange` does: plain
/// `strtod` with only a NaN check, so leading whitespace is skipped, an empty
/// string is 0, and overflow saturates to infinity.
pub fn parse_lenient(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() {
        return Some(0.0);
    }
    let start = bytes.iter().position(|b| !is_c_space(*b))?;
    let text = std::str::from_utf8(&bytes[start..]).ok()?;
    let value: f64 = text.parse().ok()?;
    if value.is_nan() { None } else { Some(value) }
}

fn is_infinity_literal(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity")
}

fn has_nonzero_mantissa_digit(text: &str) -> bool {
    text.bytes().take_while(|b| *b != b'e' && *b != b'E').any(|b| (b'1'..=b'9').contains(&b))
}

/// Formats a score the way Redis 7.0's RESP2 `addReplyDouble` does:
/// `inf`/`-inf`, otherwise C's `%.17g`.
pub fn format_redis(value: f64) -> String {
    let mut out = String::new();
    write_redis(&mut out, value);
    out
}

/// Appends the Redis 7.0 textual form of `value` to `out`.
pub fn write_redis(out: &mut String, value: f64) {
    if value.is_infinite() {
        out.push_str(if value > 0.0 { "inf" } else { "-inf" });
        return;
    }
    if value.is_nan() {
        out.push_str("nan");
        return;
    }
    if value == 0.0 {
        // The engine never stores -0 (see `ScoreKey::from_f64`).
        out.push('0');
        return;
    }
    write_g17(out, value);
}

/// C `%.17g`: 17 significant digits, fixed notation when the decimal
/// exponent is in [-4, 17), trailing zeros removed. Rust's `{:e}` and `{:.N}`
/// are exactly rounded like glibc's printf, so the digits agree.
fn write_g17(out: &mut String, value: f64) {
    const PRECISION: i32 = 17;
    let sci = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exponent: i32 = exponent.parse().expect("exponent is an integer");
    if (-4..PRECISION).contains(&exponent) {
        let decimals = (PRECISION - 1 - exponent) as usize;
        let fixed = format!("{value:.decimals$}");
        out.push_str(strip_fraction_zeros(&fixed));
    } else {
        out.push_str(strip_fraction_zeros(mantissa));
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{sign}{:02}", exponent.abs());
    }
}

fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_matches_numeric_order() {
        let values =
            [f64::NEG_INFINITY, -1e300, -2.5, -f64::MIN_POSITIVE, 0.0, 5e-324, 1.0, 1.8e18, f64::MAX, f64::INFINITY];
        for pair in values.windows(2) {
            assert!(ScoreKey::from_f64(pair[0]) < ScoreKey::from_f64(pair[1]), "{pair:?}");
        }
        for v in values {
            assert_eq!(ScoreKey::from_f64(v).to_f64(), v);
        }
        assert_eq!(ScoreKey::from_f64(-0.0), ScoreKey::from_f64(0.0));
        assert_eq!(ScoreKey::from_f64(f64::NEG_INFINITY), ScoreKey::MIN);
        assert_eq!(ScoreKey::from_f64(f64::INFINITY), ScoreKey::MAX);
    }

    #[test]
    fn strict_parse_follows_redis() {
        assert_eq!(parse_strict(b"1.5"), Some(1.5));
        assert_eq!(parse_strict(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_strict(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_strict(b"1e-310"), Some(1e-310));
        for bad in [&b""[..], b" 1", b"1 ", b"nan", b"abc", b"1e400", b"1e-400", b"1e"] {
            assert_eq!(parse_strict(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_strict(b"0e-400"), Some(0.0));
    }

    #[test]
    fn lenient_parse_follows_strtod() {
        assert_eq!(parse_lenient(b""), Some(0.0));
        assert_eq!(parse_lenient(b"  2"), Some(2.0));
        assert_eq!(parse_lenient(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_lenient(b"  "), None);
        assert_eq!(parse_lenient(b"nan"), None);
    }

    #[test]
    fn formats_like_percent_17g() {
        let cases = [
            (1.0, "1"),
            (1.1, "1.1000000000000001"),
            (1.8e18, "1.8e+18"),
            (1800000000000000001.0, "1.8e+18"),
            (123456789.0, "123456789"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (-2.5, "-2.5"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (-0.0, "0"),
        ];
        for (value, text) in cases {
            assert_eq!(format_redis(value), text, "{value:e}");
        }
    }
}
