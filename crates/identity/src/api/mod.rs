//! Identity's HTTP API: one module per resource; `error` maps the service's errors to answers.

mod admin;
mod auth;
mod error;
mod jwks;
mod me;
mod schemas;
mod sessions;
mod users;

use std::sync::Arc;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::Identity;

pub(crate) fn routes() -> OpenApiRouter<Arc<Identity>> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::confirm))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::revoke))
        .routes(routes!(me::show, me::update, me::delete))
        .routes(routes!(me::change_password))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::update_user, admin::delete_user))
        .routes(routes!(admin::audit_log))
        .routes(routes!(users::show))
        .routes(routes!(jwks::jwks))
}
