//! Signing keys and the JWKS. Keys live in identity's database so every identity replica signs
//! with the same key; the JWKS lists every key that is not retired, including the next one,
//! which is published before it signs so that caches of other services already know it.

use std::sync::RwLock;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{
    EncodingKey,
    jwk::{
        AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, OctetKeyPairParameters,
        OctetKeyPairType, PublicKeyUse,
    },
};
use platform::{Db, db::now_ms};
use ring::{
    rand::SystemRandom,
    signature::{Ed25519KeyPair, KeyPair},
};
use sqlx::Row;

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

impl KeyRing {
    /// Loads the keys, creating the first one on a fresh database.
    pub async fn load_or_create(db: &Db) -> anyhow::Result<KeyRing> {
        let mut keys = Self::load(db).await?;
        if keys.is_empty() {
            create_key(db, now_ms()).await?;
            keys = Self::load(db).await?;
        }
        Ok(KeyRing { keys: RwLock::new(keys) })
    }

    async fn load(db: &Db) -> anyhow::Result<Vec<SigningKey>> {
        let rows = sqlx::query(
            "SELECT kid, private_pkcs8, public_key, signs_from_ms FROM signing_keys \
             WHERE retired_at_ms IS NULL ORDER BY signs_from_ms",
        )
        .fetch_all(db.reader())
        .await?;
        rows.into_iter()
            .map(|row| {
                let pkcs8 = URL_SAFE_NO_PAD.decode(row.try_get::<String, _>("private_pkcs8")?)?;
                Ok(SigningKey {
                    kid: row.try_get("kid")?,
                    encoding: EncodingKey::from_ed_der(&pkcs8),
                    public_key: URL_SAFE_NO_PAD.decode(row.try_get::<String, _>("public_key")?)?,
                    signs_from_ms: row.try_get("signs_from_ms")?,
                })
            })
            .collect()
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

    /// Re-reads the keys from the database (other replicas may have rotated).
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let keys = Self::load(db).await?;
        if !keys.is_empty() {
            *self.keys.write().expect("not poisoned") = keys;
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

/// Creates a key that signs from `signs_from_ms` on (published from now).
pub async fn create_key(db: &Db, signs_from_ms: i64) -> anyhow::Result<String> {
    let pkcs8 =
        Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| anyhow::anyhow!("key generation failed"))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| anyhow::anyhow!("generated key unreadable"))?;
    let kid = uuid::Uuid::now_v7().simple().to_string();
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at_ms, signs_from_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&kid)
    .bind(URL_SAFE_NO_PAD.encode(pkcs8.as_ref()))
    .bind(URL_SAFE_NO_PAD.encode(pair.public_key().as_ref()))
    .bind(now_ms())
    .bind(signs_from_ms)
    .execute(db.writer())
    .await?;
    Ok(kid)
}

/// How far ahead of signing a new key is published: longer than any verifier caches the JWKS.
pub const PUBLISH_AHEAD_MS: i64 = 3600 * 1000;

/// One rotation step at time `now`: publishes a next key when the signing key is older than
/// `rotate_after_ms`, and retires keys that stopped signing longer ago than `token_ttl_ms` (no
/// unexpired token can carry them). Returns whether anything changed.
pub async fn rotate(db: &Db, now: i64, rotate_after_ms: i64, token_ttl_ms: i64) -> anyhow::Result<bool> {
    let rows =
        sqlx::query("SELECT kid, signs_from_ms FROM signing_keys WHERE retired_at_ms IS NULL ORDER BY signs_from_ms")
            .fetch_all(db.reader())
            .await?;
    let keys: Vec<(String, i64)> = rows
        .iter()
        .map(|r| Ok((r.try_get("kid")?, r.try_get("signs_from_ms")?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let mut changed = false;
    let newest = keys.last().map(|(_, from)| *from);
    if newest.is_some_and(|from| from <= now && now - from >= rotate_after_ms) {
        create_key(db, now + PUBLISH_AHEAD_MS).await?;
        changed = true;
    }
    // A key is superseded once a later key has been signing; retire it after the token lifetime.
    for pair in keys.windows(2) {
        let ((old_kid, _), (_, successor_from)) = (&pair[0], &pair[1]);
        if *successor_from <= now && now - successor_from > token_ttl_ms + 60_000 {
            sqlx::query("UPDATE signing_keys SET retired_at_ms = $1 WHERE kid = $2")
                .bind(now)
                .bind(old_kid)
                .execute(db.writer())
                .await?;
            changed = true;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 24 * 3600 * 1000;
    const TTL: i64 = 15 * 60 * 1000;

    async fn db() -> (Db, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let location = platform::config::DatabaseLocation::Sqlite(dir.path().join("identity.db"));
        let db = Db::connect("identity", &location, 2).await.unwrap();
        db.migrate(&crate::MIGRATIONS).await.unwrap();
        (db, dir)
    }

    #[tokio::test]
    async fn the_next_key_is_published_before_it_signs_and_the_old_one_retired_after_tokens_expire() {
        let (db, _dir) = db().await;
        let ring = KeyRing::load_or_create(&db).await.unwrap();
        let (first, _) = ring.current();
        let now = now_ms();
        assert!(!rotate(&db, now + DAY, 30 * DAY, TTL).await.unwrap(), "too young to rotate");

        let rotation_time = now + 30 * DAY;
        assert!(rotate(&db, rotation_time, 30 * DAY, TTL).await.unwrap());
        ring.reload(&db).await.unwrap();
        assert_eq!(ring.jwks().keys.len(), 2, "the next key is published at once");
        assert_eq!(ring.current_at(rotation_time).0, first, "but does not sign yet");
        let (second, _) = ring.current_at(rotation_time + PUBLISH_AHEAD_MS);
        assert_ne!(second, first, "it signs once the hour has passed");
        assert!(!rotate(&db, rotation_time + 1, 30 * DAY, TTL).await.unwrap(), "one pending key at a time");

        // Tokens signed by the first key expire TTL after the second starts signing.
        let later = rotation_time + PUBLISH_AHEAD_MS + TTL + 120_000;
        assert!(rotate(&db, later, 30 * DAY, TTL).await.unwrap());
        ring.reload(&db).await.unwrap();
        let kids: Vec<_> = ring.jwks().keys.iter().map(|k| k.common.key_id.clone().unwrap()).collect();
        assert_eq!(kids, [second]);
    }
}
