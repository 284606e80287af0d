//! The admin console API: find users, change roles, suspend, restore, delete, read the audit log.
//! Every endpoint requires the admin role; every change is audited (see `accounts`).

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, Uri},
};
use platform::{
    ApiError, Principal, Role,
    db::{Conditions, from_ms, like_prefix},
    http::{
        ClientIp, Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::users::{USER_COLUMNS, UserView};
use crate::{
    Identity,
    accounts::{self, Actor, Status},
    audit::Action,
};

/// A user as admins see them.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AdminUserView {
    #[serde(flatten)]
    profile: UserView,
    email: String,
    status: Status,
}

impl AdminUserView {
    fn from_row(row: &AnyRow) -> Result<Self, ApiError> {
        let status = match row.try_get::<String, _>("status")?.as_str() {
            "active" => Status::Active,
            "suspended" => Status::Suspended,
            _ => Status::Deleted,
        };
        Ok(Self { profile: UserView::from_row(row)?, email: row.try_get("email")?, status })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct UserFilter {
    /// Start of a username or email address (case-insensitive).
    q: Option<String>,
    role: Option<Role>,
    status: Option<Status>,
}

/// Lists users, newest first, optionally filtered.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])),
    params(UserFilter, PageParams),
    responses((status = 200, body = inline(Page<AdminUserView>)), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(super) async fn list_users(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    uri: Uri,
    Query(filter): Query<UserFilter>,
    Query(page): Query<PageParams>,
) -> Result<Page<AdminUserView>, ApiError> {
    principal.require(Role::Admin)?;
    let limit = page.limit()?;
    let mut conditions = Conditions::default();
    if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_prefix(&q.to_lowercase());
        conditions.add("(username_key LIKE ? ESCAPE '\\' OR email_key LIKE ? ESCAPE '\\')", [pattern.clone(), pattern]);
    }
    if let Some(role) = filter.role {
        conditions.add("role = ?", [role.as_str().to_owned()]);
    }
    if let Some(status) = filter.status {
        conditions.add("status = ?", [status.as_str().to_owned()]);
    }
    if let Some(position) = page.position()? {
        conditions.add("id < ?", [position]);
    }
    let sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE {} ORDER BY id DESC LIMIT {}", conditions.sql(), limit + 1);
    let query = conditions.bind(sqlx::query(&sql));
    let rows = query.fetch_all(identity.db.reader()).await?;
    let users = rows.iter().map(AdminUserView::from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(users, limit, |u| u.profile.id.to_string()).with_link(uri.path(), limit))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserPatch {
    role: Option<Role>,
    /// `active` (restore) or `suspended`.
    status: Option<Status>,
}

/// Changes a user's role or suspends or restores them. Suspension ends every session at once.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")), request_body = UserPatch,
    responses((status = 200, body = AdminUserView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn update_user(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Json(patch): Json<UserPatch>,
) -> Result<Json<AdminUserView>, ApiError> {
    principal.require(Role::Admin)?;
    if id == principal.user_id {
        return Err(ApiError::forbidden("admins cannot change their own role or status; ask another admin"));
    }
    let actor = Actor { id: Some(principal.user_id), ip: &ip };
    if let Some(role) = patch.role {
        accounts::set_role(&identity, id, role, actor).await?;
    }
    match patch.status {
        Some(Status::Deleted) => {
            return Err(ApiError::invalid_field("status", "use DELETE /api/v1/admin/users/{id} to delete"));
        }
        Some(status) => accounts::set_suspended(&identity, id, status == Status::Suspended, actor).await?,
        None => {}
    }
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(identity.db.reader())
        .await?
        .ok_or_else(|| ApiError::not_found("no such user"))?;
    Ok(Json(AdminUserView::from_row(&row)?))
}

/// Deletes a user (see `DELETE /api/v1/me` for what deletion does).
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn delete_user(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    principal.require(Role::Admin)?;
    if id == principal.user_id {
        return Err(ApiError::forbidden("admins cannot delete themselves here; use DELETE /api/v1/me"));
    }
    accounts::delete(&identity, id, Actor { id: Some(principal.user_id), ip: &ip }).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One audit log entry.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct AuditEntry {
    id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    at: time::OffsetDateTime,
    action: String,
    actor_id: Option<Uuid>,
    target_id: Option<Uuid>,
    ip: String,
    detail: serde_json::Value,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AuditFilter {
    actor: Option<Uuid>,
    target: Option<Uuid>,
    /// e.g. `sign_in_failed`, `admin.user_suspended`.
    action: Option<String>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", security(("bearer" = [])),
    params(AuditFilter, PageParams),
    responses((status = 200, body = inline(Page<AuditEntry>)), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn audit_log(
    State(identity): State<Arc<Identity>>,
    principal: Principal,
    uri: Uri,
    Query(filter): Query<AuditFilter>,
    Query(page): Query<PageParams>,
) -> Result<Page<AuditEntry>, ApiError> {
    principal.require(Role::Admin)?;
    let limit = page.limit()?;
    if let Some(action) = &filter.action
        && Action::parse(action).is_none()
    {
        let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
        return Err(ApiError::invalid_field("action", format!("must be one of {}", known.join(", "))));
    }
    let mut conditions = Conditions::default();
    for (template, value) in [
        ("actor_id = ?", filter.actor.map(|u| u.to_string())),
        ("target_id = ?", filter.target.map(|u| u.to_string())),
        ("action = ?", filter.action),
        ("id < ?", page.position()?),
    ] {
        if let Some(value) = value {
            conditions.add(template, [value]);
        }
    }
    let sql = format!(
        "SELECT id, at_ms, action, actor_id, target_id, ip, detail FROM audit_log WHERE {} ORDER BY id DESC LIMIT {}",
        conditions.sql(),
        limit + 1
    );
    let query = conditions.bind(sqlx::query(&sql));
    let rows = query.fetch_all(identity.db.reader()).await?;
    let parse_id = |text: Option<String>| text.and_then(|t| t.parse().ok());
    let entries = rows
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                id: row.try_get::<String, _>("id")?.parse().map_err(anyhow::Error::from)?,
                at: from_ms(row.try_get("at_ms")?),
                action: row.try_get("action")?,
                actor_id: parse_id(row.try_get("actor_id")?),
                target_id: parse_id(row.try_get("target_id")?),
                ip: row.try_get("ip")?,
                detail: serde_json::from_str(&row.try_get::<String, _>("detail")?).unwrap_or_default(),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Page::from_overfetch(entries, limit, |e| e.id.to_string()).with_link(uri.path(), limit))
}
