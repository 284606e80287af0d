//! Identity's HTTP API: one module per resource.

mod auth;
mod jwks;
mod sessions;
mod users;

use std::sync::Arc;

use utoipa_axum::{router::OpenApiRouter, routes};

use crate::Identity;

pub use users::UserView;

pub(crate) fn routes() -> OpenApiRouter<Arc<Identity>> {
    OpenApiRouter::new()
        .routes(routes!(auth::register))
        .routes(routes!(auth::login))
        .routes(routes!(auth::refresh))
        .routes(routes!(auth::logout))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::revoke))
        .routes(routes!(users::me))
        .routes(routes!(users::show))
        .routes(routes!(jwks::jwks))
}
