//! Issuing access tokens (short-lived EdDSA JWTs) and refresh tokens (opaque, stored hashed,
//! rotated on every use).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header};
use platform::http::auth::{ACCESS_TOKEN_TYPE, Claims};
use platform::{Role, db::now_ms};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::keys::KeyRing;

/// Signs an access token for `user` in `session`.
pub fn access_token(
    keys: &KeyRing,
    config: &platform::Config,
    user: Uuid,
    session: Uuid,
    role: Role,
) -> anyhow::Result<(String, u64)> {
    let (kid, key) = keys.current();
    let now = now_ms() / 1000;
    let ttl = config.auth.access_token_ttl_secs;
    let claims = Claims {
        iss: config.auth.issuer.clone(),
        sub: user.to_string(),
        aud: config.auth.audience.clone(),
        exp: now + ttl as i64,
        iat: now,
        sid: session.to_string(),
        role,
        jti: Uuid::new_v4().simple().to_string(),
    };
    let header = Header { typ: Some(ACCESS_TOKEN_TYPE.into()), kid: Some(kid), ..Header::new(Algorithm::EdDSA) };
    Ok((jsonwebtoken::encode(&header, &claims, &key)?, ttl))
}

/// A new secret token (a refresh token, an email confirmation) and the hash stored in its place.
pub fn secret_token() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    let hash = hash_secret_token(&token);
    (token, hash)
}

/// Secret tokens (refresh tokens, email confirmations) carry 256 random bits, so a fast hash
/// suffices (no brute force is possible).
pub fn hash_secret_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// What presenting a refresh token does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Unused and valid: exchange it for a new pair.
    Rotate,
    /// Used a moment ago (within the grace period): a client's retry, answered with a new pair.
    Retry,
    /// Used longer ago: it was copied; the whole session is revoked.
    Stolen,
    /// Revoked or expired.
    Refused,
}

impl Refresh {
    /// The rule: each refresh token works once, with `grace_ms` for a client that retries.
    pub fn decide(used_at_ms: Option<i64>, revoked: bool, expires_at_ms: i64, now: i64, grace_ms: i64) -> Refresh {
        if revoked || expires_at_ms < now {
            return Refresh::Refused;
        }
        match used_at_ms {
            None => Refresh::Rotate,
            Some(used) if now - used < grace_ms => Refresh::Retry,
            Some(_) => Refresh::Stolen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Refresh;

    #[test]
    fn a_refresh_token_works_once_with_a_grace_for_retries() {
        assert_eq!(Refresh::decide(None, false, 100, 50, 5), Refresh::Rotate);
        assert_eq!(Refresh::decide(Some(48), false, 100, 50, 5), Refresh::Retry);
        assert_eq!(Refresh::decide(Some(40), false, 100, 50, 5), Refresh::Stolen);
        assert_eq!(Refresh::decide(None, true, 100, 50, 5), Refresh::Refused);
        assert_eq!(Refresh::decide(None, false, 40, 50, 5), Refresh::Refused);
    }
}
