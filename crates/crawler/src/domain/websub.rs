//! WebSub (W3C Recommendation): the parts that are rules, not I/O. A hub signs each push with
//! the secret we gave it, `X-Hub-Signature: <method>=<hex HMAC of the body>`; a push whose
//! signature does not verify is acknowledged and ignored, as the spec asks.

use ring::hmac;

/// Whether `header` is a valid signature of `body` with `secret` (sha1, sha256, sha384 or
/// sha512, as hubs may choose).
pub fn signature_valid(secret: &str, header: &str, body: &[u8]) -> bool {
    let Some((method, hex)) = header.trim().split_once('=') else { return false };
    let algorithm = match method.to_ascii_lowercase().as_str() {
        "sha1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => hmac::HMAC_SHA256,
        "sha384" => hmac::HMAC_SHA384,
        "sha512" => hmac::HMAC_SHA512,
        _ => return false,
    };
    let Some(tag) = decode_hex(hex.trim()) else { return false };
    hmac::verify(&hmac::Key::new(algorithm, secret.as_bytes()), body, &tag).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// A fresh secret for one subscription.
pub fn new_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a hub sends.
    fn sign(secret: &str, body: &[u8]) -> String {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()), body);
        format!("sha256={}", tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    #[test]
    fn only_the_right_secret_and_body_verify() {
        let signature = sign("s3cret", b"<feed/>");
        assert!(signature_valid("s3cret", &signature, b"<feed/>"));
        assert!(!signature_valid("other", &signature, b"<feed/>"));
        assert!(!signature_valid("s3cret", &signature, b"<feed>changed</feed>"));
        for bad in ["", "sha256", "md5=abcd", "sha256=zz", "sha256=abc"] {
            assert!(!signature_valid("s3cret", bad, b"<feed/>"), "{bad}");
        }
    }
}
