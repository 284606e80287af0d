//! What each recipient wants per kind: off, or on without grouping. Absent rows are the
//! default (on, grouped).

use std::collections::HashMap;

use platform::Change;
use sqlx::Row;
use uuid::Uuid;

use super::Store;
use crate::domain::{Kind, NotificationsError, Preference};

type Result<T> = std::result::Result<T, NotificationsError>;

fn preference(row: &sqlx::any::AnyRow) -> Result<(Option<Kind>, Preference)> {
    let kind: String = row.try_get("kind")?;
    let enabled: i32 = row.try_get("enabled")?;
    let grouped: i32 = row.try_get("grouped")?;
    Ok((Kind::parse(&kind), Preference { enabled: enabled == 1, grouped: grouped == 1 }))
}

/// Every kind's preference of `user`.
pub async fn all(store: &Store, user: Uuid) -> Result<HashMap<Kind, Preference>> {
    let rows = sqlx::query("SELECT kind, enabled, grouped FROM preferences WHERE user_id = $1")
        .bind(user.to_string())
        .fetch_all(store.db().reader())
        .await?;
    let mut chosen: HashMap<Kind, Preference> = Kind::ALL.into_iter().map(|k| (k, Preference::default())).collect();
    for row in &rows {
        if let (Some(kind), preference) = preference(row)? {
            chosen.insert(kind, preference);
        }
    }
    Ok(chosen)
}

/// `user`'s preference for `kind`, inside a change.
pub async fn of(change: &mut Change, user: Uuid, kind: Kind) -> Result<Preference> {
    let row = sqlx::query("SELECT kind, enabled, grouped FROM preferences WHERE user_id = $1 AND kind = $2")
        .bind(user.to_string())
        .bind(kind.as_str())
        .fetch_optional(change.conn())
        .await?;
    Ok(row.map(|r| preference(&r)).transpose()?.map(|(_, p)| p).unwrap_or_default())
}

/// Sets `user`'s preferences for the kinds given.
pub async fn set(store: &Store, user: Uuid, chosen: &HashMap<Kind, Preference>) -> Result<()> {
    let mut change = store.begin().await?;
    for (kind, preference) in chosen {
        sqlx::query(
            "INSERT INTO preferences (user_id, kind, enabled, grouped) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id, kind) DO UPDATE SET enabled = $3, grouped = $4",
        )
        .bind(user.to_string())
        .bind(kind.as_str())
        .bind(i32::from(preference.enabled))
        .bind(i32::from(preference.grouped))
        .execute(change.conn())
        .await?;
    }
    change.commit().await?;
    Ok(())
}
