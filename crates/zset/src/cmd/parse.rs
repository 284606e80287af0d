//! Argument parsing with Redis's rules and messages.

use crate::error::ZError;
use crate::score;

/// `string2ll`: optional `-`, no `+`, no leading zeros, no spaces, fits i64.
pub fn i64_strict(arg: &[u8]) -> Option<i64> {
    let (negative, digits) = match arg.split_first()? {
        (b'-', rest) => (true, rest),
        _ => (false, arg),
    };
    if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || negative)) {
        return None;
    }
    // Accumulate as a negative number so i64::MIN parses.
    let mut value: i64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        value = value.checked_mul(10)?.checked_sub(i64::from(digit))?;
    }
    if negative { Some(value) } else { value.checked_neg() }
}

/// An integer argument; "value is not an integer or out of range" otherwise.
pub fn integer(arg: &[u8]) -> Result<i64, ZError> {
    i64_strict(arg).ok_or_else(ZError::not_integer)
}

/// A float argument; "value is not a valid float" otherwise.
pub fn float(arg: &[u8]) -> Result<f64, ZError> {
    score::parse_strict(arg).ok_or_else(ZError::not_float)
}

/// `getPositiveLongFromObjectOrReply` (zero allowed): with a custom
/// message, Redis uses it for a non-integer too.
pub fn non_negative(arg: &[u8], message: &str) -> Result<i64, ZError> {
    match i64_strict(arg) {
        Some(value) if value >= 0 => Ok(value),
        _ => Err(ZError::err(message)),
    }
}

/// Case-insensitive keyword match.
pub fn is(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(i64_strict(b"0"), Some(0));
        assert_eq!(i64_strict(b"-12"), Some(-12));
        assert_eq!(i64_strict(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(i64_strict(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b""[..], b"-", b"-0", b"01", b"+1", b" 1", b"1.0", b"9223372036854775808"] {
            assert_eq!(i64_strict(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
