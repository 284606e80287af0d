//! The admin console API: find users, change roles, suspend, restore, delete, read the audit log.
//! Every endpoint requires the admin role; every change is audited (see `accounts`).

use std::sync::Arc;

use axum::{
    extract::State,
    http::{StatusCode, Uri},
};
use platform::{
    ApiError, Principal, Role,
    db::from_ms,
    http::{
        ClientIp, Json, Path, Problem, Query,
        pagination::{Page, PageParams},
    },
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::users::UserView;
use crate::{
    Identity,
    domain::{
        IdentityError,
        accounts::{Account, Actor, Status},
        audit::Action,
    },
    store::{audit, users},
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
    fn of(account: &Account) -> Self {
        Self { profile: UserView::of(account), email: account.email.clone(), status: account.status }
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
    let filter = users::UserFilter { q: filter.q, role: filter.role, status: filter.status };
    let accounts = users::list(&identity.store, &filter, page.position()?.as_deref(), limit + 1).await?;
    let users = accounts.iter().map(AdminUserView::of).collect();
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
        return Err(
            IdentityError::OwnAccount("admins cannot change their own role or status; ask another admin").into()
        );
    }
    let actor = Actor { id: Some(principal.user_id), ip: &ip };
    if let Some(role) = patch.role {
        users::set_role(&identity.store, id, role, actor).await?;
        identity.verifier.role_changed(id, role);
    }
    match patch.status {
        Some(Status::Deleted) => {
            return Err(IdentityError::field("status", "use DELETE /api/v1/admin/users/{id} to delete").into());
        }
        Some(status) => {
            let suspended = status == Status::Suspended;
            users::set_suspended(&identity.store, id, suspended, actor).await?;
            identity.verifier.set_revoked(id, suspended);
        }
        None => {}
    }
    let account = users::by_id(&identity.store, id).await?.ok_or(IdentityError::NoSuchUser)?;
    Ok(Json(AdminUserView::of(&account)))
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
        return Err(IdentityError::OwnAccount("admins cannot delete themselves here; use DELETE /api/v1/me").into());
    }
    users::delete(&identity.store, id, Actor { id: Some(principal.user_id), ip: &ip }).await?;
    identity.verifier.set_revoked(id, true);
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
    let action = match &filter.action {
        Some(action) => Some(Action::parse(action).ok_or_else(|| {
            let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
            IdentityError::field("action", format!("must be one of {}", known.join(", ")))
        })?),
        None => None,
    };
    let filter = audit::AuditFilter { actor: filter.actor, target: filter.target, action };
    let rows = audit::list(&identity.store, &filter, page.position()?.as_deref(), limit + 1).await?;
    let entries = rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: from_ms(row.at_ms),
            action: row.action,
            actor_id: row.actor_id,
            target_id: row.target_id,
            ip: row.ip,
            detail: row.detail,
        })
        .collect();
    Ok(Page::from_overfetch(entries, limit, |e| e.id.to_string()).with_link(uri.path(), limit))
}
