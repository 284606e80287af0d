//! `signing_keys`: every identity replica signs with the keys stored here.

use platform::db::now_ms;
use sqlx::Row;

use crate::domain::{
    IdentityError,
    keys::{Rotation, StoredKey},
};

/// The keys not retired, oldest first.
pub async fn current(store: &super::Store) -> Result<Vec<StoredKey>, IdentityError> {
    let rows = sqlx::query(
        "SELECT kid, private_pkcs8, public_key, signs_from_ms FROM signing_keys \
         WHERE retired_at_ms IS NULL ORDER BY signs_from_ms",
    )
    .fetch_all(store.db().reader())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(StoredKey {
                kid: row.try_get("kid")?,
                private_pkcs8: row.try_get("private_pkcs8")?,
                public_key: row.try_get("public_key")?,
                signs_from_ms: row.try_get("signs_from_ms")?,
            })
        })
        .collect()
}

pub async fn insert(store: &super::Store, key: &StoredKey) -> Result<(), IdentityError> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_pkcs8, public_key, created_at_ms, signs_from_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&key.kid)
    .bind(&key.private_pkcs8)
    .bind(&key.public_key)
    .bind(now_ms())
    .bind(key.signs_from_ms)
    .execute(store.db().writer())
    .await?;
    Ok(())
}

/// Carries out a rotation step.
pub async fn rotate(store: &super::Store, rotation: &Rotation, now: i64) -> Result<(), IdentityError> {
    if let Some(from) = rotation.next_signs_from_ms {
        insert(store, &StoredKey::generate(from)?).await?;
    }
    for kid in &rotation.retire {
        sqlx::query("UPDATE signing_keys SET retired_at_ms = $1 WHERE kid = $2")
            .bind(now)
            .bind(kid)
            .execute(store.db().writer())
            .await?;
    }
    Ok(())
}
