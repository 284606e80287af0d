//! The `Idempotency-Key` header of create requests (the stored responses are in
//! `store::idempotency`).

use axum::{
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::domain::ContentError;

pub const HEADER: &str = "idempotency-key";

/// The key of a request, validated: 1 to 255 visible ASCII characters.
pub fn key(headers: &HeaderMap) -> Result<Option<String>, ContentError> {
    let Some(value) = headers.get(HEADER) else { return Ok(None) };
    let key = value.to_str().ok().filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()));
    key.map(|k| Some(k.to_owned()))
        .ok_or_else(|| ContentError::BadRequest("Idempotency-Key must be 1 to 255 visible ASCII characters".into()))
}

/// A digest of what was asked, to tell a retry from a different request under the same key.
pub fn fingerprint(body: &impl serde::Serialize) -> String {
    let json = serde_json::to_vec(body).expect("request serializes");
    Sha256::digest(json).iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored response, sent again.
pub fn respond(status: u16, body: serde_json::Value) -> Response {
    (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), axum::Json(body)).into_response()
}
