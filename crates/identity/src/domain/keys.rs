//! Signing keys and the JWKS. Keys live in identity's database (`store::keys`) so every identity
//! replica signs with the same key; the JWKS lists every key that is not retired, including the
//! next one, which is published before it signs so that caches of other services already know it.

use std::sync::RwLock;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    EncodingKey,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, OctetKeyPairParameters,
        OctetKeyPairType, PublicKeyUse,
    },
};
use platform::db::now_ms;
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};

/// A key as stored: its id, its private key (PKCS#8) and public key, base64url, and when it
/// starts signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub private_pkcs8: String,
    pub public_key: String,
    pub signs_from_ms: i64,
}

impl StoredKey {
    /// A new Ed25519 key that signs from `signs_from_ms` on.
    pub fn generate(signs_from_ms: i64) -> anyhow::Result<StoredKey> {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("key generation failed"))?;
        let pair =
            Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("generated key unreadable"))?;
        Ok(StoredKey {
            kid: uuid::Uuid::now_v7().simple().to_string(),
            private_pkcs8: URL_SAFE_NO_PAD.encode(pkcs8.as_ref()),
            public_key: URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()),
            signs_from_ms,
        })
    }
}

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    public_key: Vec<u8>,
    signs_from_ms: i64,
}

/// The keys identity signs with and publishes.
pub struct KeyRing {
    keys: RwLock<Vec<SigningKey>>,
}

fn decoded(stored: &[StoredKey]) -> anyhow::Result<Vec<SigningKey>> {
    stored
        .iter()
        .map(|key| {
            let pkcs8 = URL_SAFE_NO_PAD.decode(&key.private_pkcs8)?;
            Ok(SigningKey {
                kid: key.kid.clone(),
                encoding: EncodingKey::from_ed_der(&pkcs8),
                public_key: URL_SAFE_NO_PAD.decode(&key.public_key)?,
                signs_from_ms: key.signs_from_ms,
            })
        })
        .collect()
}

impl KeyRing {
    /// The ring of the keys not retired, oldest first.
    pub fn new(stored: &[StoredKey]) -> anyhow::Result<KeyRing> {
        anyhow::ensure!(!stored.is_empty(), "no signing key");
        Ok(KeyRing { keys: RwLock::new(decoded(stored)?) })
    }

    /// The key to sign with now: the newest one whose signing time has come.
    pub fn current(&self) -> (String, EncodingKey) {
        self.current_at(now_ms())
    }

    pub fn current_at(&self, now_ms: i64) -> (String, EncodingKey) {
        let keys = self.keys.read().expect("not poisoned");
        let key = keys.iter().rev().find(|k| k.signs_from_ms <= now_ms).or(keys.first()).expect("at least one key");
        (key.kid.clone(), key.encoding.clone())
    }

    /// Takes the keys as stored now (another replica may have rotated).
    pub fn replace(&self, stored: &[StoredKey]) -> anyhow::Result<()> {
        if !stored.is_empty() {
            *self.keys.write().expect("not poisoned") = decoded(stored)?;
        }
        Ok(())
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> JwkSet {
        let keys = self.keys.read().expect("not poisoned");
        JwkSet {
            keys: keys
                .iter()
                .map(|k| Jwk {
                    common: CommonParameters {
                        public_key_use: Some(PublicKeyUse::Signature),
                        key_algorithm: Some(KeyAlgorithm::EdDSA),
                        key_id: Some(k.kid.clone()),
                        ..Default::default()
                    },
                    algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: URL_SAFE_NO_PAD.encode(&k.public_key),
                    }),
                })
                .collect(),
        }
    }
}

/// How far ahead of signing a new key is published: longer than any verifier caches the JWKS.
pub const PUBLISH_AHEAD_MS: i64 = 3600 * 1000;

/// What one rotation step at time `now` does to the keys not retired (oldest first).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    /// Publish a next key that signs from this time, when the signing key is older than
    /// `rotate_after_ms` (and no next key waits already).
    pub next_signs_from_ms: Option<i64>,
    /// Retire these keys: a later key has been signing for longer than the token lifetime, so no
    /// unexpired token can carry them.
    pub retire: Vec<String>,
}

impl Rotation {
    pub fn plan(keys: &[StoredKey], now: i64, rotate_after_ms: i64, token_ttl_ms: i64) -> Rotation {
        let newest = keys.last().map(|k| k.signs_from_ms);
        let next_signs_from_ms =
            newest.filter(|&from| from <= now && now - from >= rotate_after_ms).map(|_| now + PUBLISH_AHEAD_MS);
        let retire = keys
            .windows(2)
            .filter(|pair| pair[1].signs_from_ms <= now && now - pair[1].signs_from_ms > token_ttl_ms + 60_000)
            .map(|pair| pair[0].kid.clone())
            .collect();
        Rotation { next_signs_from_ms, retire }
    }

    pub fn changes_anything(&self) -> bool {
        self.next_signs_from_ms.is_some() || !self.retire.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;
    const TTL: i64 = 15 * 60 * 1000;

    /// Applies a plan as the store would.
    fn apply(keys: &mut Vec<StoredKey>, plan: Rotation) {
        keys.retain(|k| !plan.retire.contains(&k.kid));
        if let Some(from) = plan.next_signs_from_ms {
            keys.push(StoredKey::generate(from).unwrap());
        }
    }

    #[test]
    fn the_next_key_is_published_before_it_signs_and_the_old_one_retired_after_tokens_expire() {
        let now = now_ms();
        let mut keys = vec![StoredKey::generate(now).unwrap()];
        let ring = KeyRing::new(&keys).unwrap();
        let (first, _) = ring.current();
        assert!(!Rotation::plan(&keys, now + DAY, 30 * DAY, TTL).changes_anything(), "too young to rotate");

        let rotation_time = now + 30 * DAY;
        let plan = Rotation::plan(&keys, rotation_time, 30 * DAY, TTL);
        assert!(plan.changes_anything());
        apply(&mut keys, plan);
        ring.replace(&keys).unwrap();
        assert_eq!(ring.jwks().keys.len(), 2, "the next key is published at once");
        assert_eq!(ring.current_at(rotation_time).0, first, "but does not sign yet");
        let (second, _) = ring.current_at(rotation_time + PUBLISH_AHEAD_MS);
        assert_ne!(second, first, "it signs once the hour has passed");
        assert!(
            !Rotation::plan(&keys, rotation_time + 1, 30 * DAY, TTL).changes_anything(),
            "one pending key at a time"
        );

        // Tokens signed by the first key expire TTL after the second starts signing.
        let later = rotation_time + PUBLISH_AHEAD_MS + TTL + 120_000;
        let plan = Rotation::plan(&keys, later, 30 * DAY, TTL);
        assert_eq!(plan.retire, std::slice::from_ref(&first));
        apply(&mut keys, plan);
        ring.replace(&keys).unwrap();
        let kids: Vec<_> = ring.jwks().keys.iter().map(|k| k.common.key_id.clone().unwrap()).collect();
        assert_eq!(kids, [second]);
    }
}
