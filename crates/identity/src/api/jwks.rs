//! `GET /.well-known/jwks.json`: the public keys that verify access tokens.

use std::sync::Arc;

use axum::{extract::State, http::header, response::IntoResponse};

use crate::Identity;

/// The JSON Web Key Set of the keys identity signs access tokens with.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "identity",
    responses((status = 200, description = "RFC 7517 key set (Ed25519 keys, `kty: OKP`)", content_type = "application/json")))]
pub(super) async fn jwks(State(identity): State<Arc<Identity>>) -> impl IntoResponse {
    // Other services cache this; a short max-age lets a new key spread within minutes.
    ([(header::CACHE_CONTROL, "public, max-age=300")], axum::Json(identity.keys.jwks()))
}
