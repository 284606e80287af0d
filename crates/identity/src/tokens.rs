//! Issuing access tokens (short-lived EdDSA JWTs) and refresh tokens (opaque, stored hashed,
//! rotated on every use).

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, Header};
use platform::http::auth::{ACCESS_TOKEN_TYPE, Claims};
use platform::{Role, db::now_ms};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::keys::KeyRing;

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

/// A new refresh token and the hash that is stored in its place.
pub fn refresh_token() -> (String, String) {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    let hash = hash_refresh_token(&token);
    (token, hash)
}

/// Refresh tokens carry 256 random bits, so a fast hash suffices (no brute force is possible).
pub fn hash_refresh_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
