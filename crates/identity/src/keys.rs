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
        let keys = self.keys.read().expect("not poisoned");
        let now = now_ms();
        let key = keys.iter().rev().find(|k| k.signs_from_ms <= now).or(keys.first()).expect("at least one key");
        (key.kid.clone(), key.encoding.clone())
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
