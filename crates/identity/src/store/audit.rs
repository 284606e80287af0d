//! `audit_log`: written inside the change it records; read by the admin console.

use platform::{
    Change,
    db::{Conditions, RowExt, now_ms},
};
use sqlx::{Executor, Row};
use uuid::Uuid;

use crate::domain::{
    IdentityError,
    audit::{Action, Entry},
};

async fn insert<'e, E: Executor<'e, Database = sqlx::Any>>(executor: E, entry: Entry<'_>) -> Result<(), IdentityError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at_ms, actor_id, action, target_id, ip, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(now_ms())
    .bind(entry.actor.map(|u| u.to_string()))
    .bind(entry.action.as_str())
    .bind(entry.target.map(|u| u.to_string()))
    .bind(entry.ip)
    .bind(entry.detail.to_string())
    .execute(executor)
    .await?;
    Ok(())
}

/// Records `entry` as part of `change`.
pub async fn record(change: &mut Change, entry: Entry<'_>) -> Result<(), IdentityError> {
    insert(change.conn(), entry).await
}

/// Records `entry` on its own (an attempt that changed nothing else, like a failed sign-in).
pub async fn record_alone(store: &super::Store, entry: Entry<'_>) -> Result<(), IdentityError> {
    insert(store.db().writer(), entry).await
}

/// One stored entry.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub id: Uuid,
    pub at_ms: i64,
    pub action: String,
    pub actor_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub ip: String,
    pub detail: serde_json::Value,
}

/// What the audit log can be filtered by.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<Uuid>,
    pub target: Option<Uuid>,
    pub action: Option<Action>,
}

/// Entries newest first, older than the entry `before` when given, at most `limit`.
pub async fn list(
    store: &super::Store,
    filter: &AuditFilter,
    before: Option<&str>,
    limit: u32,
) -> Result<Vec<AuditRow>, IdentityError> {
    let mut conditions = Conditions::default();
    for (template, value) in [
        ("actor_id = ?", filter.actor.map(|u| u.to_string())),
        ("target_id = ?", filter.target.map(|u| u.to_string())),
        ("action = ?", filter.action.map(|a| a.as_str().to_owned())),
        ("id < ?", before.map(str::to_owned)),
    ] {
        if let Some(value) = value {
            conditions.add(template, [value]);
        }
    }
    let sql = format!(
        "SELECT id, at_ms, action, actor_id, target_id, ip, detail FROM audit_log WHERE {} ORDER BY id DESC LIMIT {}",
        conditions.sql(),
        limit
    );
    let rows = conditions.bind(sqlx::query(&sql)).fetch_all(store.db().reader()).await?;
    rows.iter()
        .map(|row| {
            Ok(AuditRow {
                id: row.uuid("id")?,
                at_ms: row.try_get("at_ms")?,
                action: row.try_get("action")?,
                actor_id: row.opt_uuid("actor_id").ok().flatten(),
                target_id: row.opt_uuid("target_id").ok().flatten(),
                ip: row.try_get("ip")?,
                detail: row.json("detail").unwrap_or_default(),
            })
        })
        .collect()
}

/// Users whose role an admin changed after `since` (unix ms).
pub async fn role_changed_since(store: &super::Store, since: i64) -> Result<Vec<Uuid>, IdentityError> {
    let rows = sqlx::query("SELECT DISTINCT target_id FROM audit_log WHERE action = $1 AND at_ms > $2")
        .bind(Action::AdminRoleChanged.as_str())
        .bind(since)
        .fetch_all(store.db().reader())
        .await?;
    Ok(rows.iter().filter_map(|row| row.opt_uuid("target_id").ok().flatten()).collect())
}
