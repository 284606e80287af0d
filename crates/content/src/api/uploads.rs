//! Resumable uploads with the tus 1.0 protocol (core, creation and termination), so existing tus
//! clients work: create an upload with its length, send bytes with `PATCH` from the offset the
//! server reports, resume after a broken connection from `HEAD`'s `Upload-Offset`.
//!
//! The received bytes are appended to `<data_dir>/uploads/<id>`; that file's length *is* the
//! offset, so whatever arrived before a connection dropped counts. When the last byte arrives,
//! the file becomes media exactly like a form upload (sniffed, size-checked, content-addressed).

use std::sync::Arc;

use axum::{
    body::Body,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use futures::StreamExt;
use platform::{
    ApiError, Principal,
    http::{Path, Problem},
};
use tokio::io::AsyncWriteExt;

use crate::{
    Content,
    domain::{
        ContentError,
        media::{Claims, largest_allowed, sanitize_filename},
    },
    store::{media, uploads},
};

const TUS_VERSION: &str = "1.0.0";
/// The response header that names the media a finished upload became.
pub const MEDIA_ID_HEADER: &str = "riffle-media-id";

fn tus(mut response: Response) -> Response {
    response.headers_mut().insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

/// The refusal to send when a request does not speak tus 1.0.0, if it does not: 400 without
/// `Tus-Resumable`, 412 (with the version spoken) for another version, as tus asks.
fn refuse_non_tus(headers: &HeaderMap) -> Option<Response> {
    let version = headers.get("tus-resumable").map(|v| v.to_str().unwrap_or_default());
    match version {
        Some(TUS_VERSION) => return None,
        None => return Some(error(ApiError::bad_request("a tus request needs `Tus-Resumable: 1.0.0`"))),
        Some(_) => {}
    }
    let mut response = ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "tus-version",
        "this server speaks tus 1.0.0 (Tus-Resumable: 1.0.0)",
    )
    .into_response();
    response.headers_mut().insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    Some(response)
}

fn error(err: ApiError) -> Response {
    tus(err.into_response())
}

/// What the server supports.
#[utoipa::path(options, path = "/api/v1/media/uploads", tag = "media",
    responses((status = 204, description = "`Tus-Version`, `Tus-Extension`, `Tus-Max-Size`")))]
pub(super) async fn capabilities(State(content): State<Arc<Content>>) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    headers.insert("tus-version", HeaderValue::from_static(TUS_VERSION));
    headers.insert("tus-extension", HeaderValue::from_static("creation,termination"));
    headers.insert("tus-max-size", HeaderValue::from(largest_allowed(&content.media)));
    tus(response)
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs.
fn metadata(headers: &HeaderMap) -> Result<Claims, ContentError> {
    let mut claims = Claims::default();
    let Some(raw) = headers.get("upload-metadata") else { return Ok(claims) };
    let raw = raw.to_str().map_err(|_| ContentError::BadRequest("Upload-Metadata must be ASCII".into()))?;
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        let value =
            STANDARD.decode(value.trim()).ok().and_then(|v| String::from_utf8(v).ok()).ok_or_else(|| {
                ContentError::BadRequest(format!("Upload-Metadata value of `{key}` is not base64 UTF-8"))
            })?;
        match key {
            "filename" | "name" => claims.filename = value,
            "filetype" | "type" => claims.content_type = Some(value),
            _ => {}
        }
    }
    Ok(claims)
}

/// Creates an upload of `Upload-Length` bytes; `Upload-Metadata` may carry `filename` and
/// `filetype`. Answers with the upload's URL in `Location`.
#[utoipa::path(post, path = "/api/v1/media/uploads", tag = "media", security(("bearer" = [])),
    params(("Upload-Length" = u64, Header, description = "Total size in bytes"),
        ("Upload-Metadata" = Option<String>, Header, description = "tus metadata: `filename`, `filetype`"),
        ("Tus-Resumable" = String, Header, description = "The tus version: 1.0.0 (400 without it, 412 for another)", pattern = r"^1\.0\.0$")),
    responses((status = 201, description = "created; see `Location`"), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 412, body = Problem, description = "another tus version"),
        (status = 413, body = Problem, description = "larger than the largest upload, or than what is left of the caller's quota"),
        (status = 429, body = Problem, description = "too many uploads in progress; see Retry-After")))]
pub(super) async fn create(State(content): State<Arc<Content>>, owner: Principal, headers: HeaderMap) -> Response {
    if let Some(response) = refuse_non_tus(&headers) {
        return response;
    }
    let length = match headers.get("upload-length").and_then(|v| v.to_str().ok()).map(str::parse::<u64>) {
        Some(Ok(length)) => length,
        _ => return error(ApiError::bad_request("Upload-Length must be the upload's size in bytes")),
    };
    let max = largest_allowed(&content.media);
    if length > max {
        return error(ApiError::payload_too_large(format!("uploads may be at most {max} bytes")));
    }
    let allowed = async {
        let usage = media::usage(&content.store, &owner.user_id.to_string()).await?;
        usage.may_start_upload(&content.media)?;
        usage.fits(length, &content.media)
    };
    if let Err(err) = allowed.await {
        return error(err.into());
    }
    let mut claims = match metadata(&headers) {
        Ok(claims) => claims,
        Err(err) => return error(err.into()),
    };
    claims.filename = sanitize_filename(&claims.filename);
    let id = uuid::Uuid::now_v7().simple().to_string();
    let created = async {
        let path = content.upload_path(&id);
        tokio::fs::create_dir_all(path.parent().expect("uploads have a directory")).await?;
        tokio::fs::File::create(&path).await?;
        uploads::create(&content.store, &id, &owner.user_id.to_string(), length, &claims).await
    };
    if let Err(err) = created.await {
        return error(err.into());
    }
    let mut response = StatusCode::CREATED.into_response();
    let location = HeaderValue::from_str(&format!("/api/v1/media/uploads/{id}")).expect("ascii");
    response.headers_mut().insert(header::LOCATION, location);
    tus(response)
}

/// An upload of the caller's, with the bytes received so far.
struct Upload {
    length: u64,
    offset: u64,
    claims: Claims,
    media_id: Option<String>,
    path: std::path::PathBuf,
}

async fn load(content: &Content, owner: &Principal, id: &str) -> Result<Upload, ContentError> {
    let upload = uploads::get(&content.store, id)
        .await?
        .filter(|u| u.owner_id == owner.user_id.to_string())
        .ok_or(ContentError::NoSuchUpload)?;
    let path = content.upload_path(id);
    let offset = match &upload.media_id {
        Some(_) => upload.length,
        None => tokio::fs::metadata(&path).await.map(|m| m.len()).unwrap_or(0),
    };
    Ok(Upload { length: upload.length, offset, claims: upload.claims, media_id: upload.media_id, path })
}

fn progress(upload: &Upload, status: StatusCode) -> Response {
    let mut response = status.into_response();
    let headers = response.headers_mut();
    headers.insert("upload-offset", HeaderValue::from(upload.offset));
    headers.insert("upload-length", HeaderValue::from(upload.length));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(media_id) = &upload.media_id {
        headers.insert(MEDIA_ID_HEADER, HeaderValue::from_str(media_id).expect("uuid"));
    }
    tus(response)
}

/// How far an upload got: `Upload-Offset` is where to resume.
#[utoipa::path(head, path = "/api/v1/media/uploads/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id"), ("Tus-Resumable" = String, Header, description = "The tus version: 1.0.0 (400 without it, 412 for another)", pattern = r"^1\.0\.0$")),
    responses((status = 200, description = "`Upload-Offset`, `Upload-Length`, and `Riffle-Media-Id` once complete"),
        (status = 404, description = "no such upload"), (status = 412, description = "another tus version")))]
pub(super) async fn status(
    State(content): State<Arc<Content>>,
    owner: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = refuse_non_tus(&headers) {
        return response;
    }
    match load(&content, &owner, &id).await {
        Ok(upload) => progress(&upload, StatusCode::OK),
        Err(err) => error(err.into()),
    }
}

/// Appends bytes at `Upload-Offset`, which must be the current offset (409 otherwise). When the
/// last byte arrives the upload becomes media, named by the `Riffle-Media-Id` header.
#[utoipa::path(patch, path = "/api/v1/media/uploads/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id"), ("Upload-Offset" = u64, Header, description = "Where these bytes start"),
        ("Tus-Resumable" = String, Header, description = "The tus version: 1.0.0 (400 without it, 412 for another)", pattern = r"^1\.0\.0$")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream", description = "The next bytes"),
    responses((status = 204, description = "accepted; `Upload-Offset` is the new offset"),
        (status = 404, body = Problem, description = "no such upload"),
        (status = 409, body = Problem, description = "`Upload-Offset` is not where the upload is"),
        (status = 412, body = Problem, description = "another tus version"),
        (status = 413, body = Problem), (status = 415, body = Problem)))]
pub(super) async fn append(
    State(content): State<Arc<Content>>,
    owner: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = refuse_non_tus(&headers) {
        return response;
    }
    let mut body = Some(body);
    match append_bytes(&content, &owner, &id, &headers, &mut body).await {
        Ok(upload) => progress(&upload, StatusCode::NO_CONTENT),
        Err(err) => {
            // Refused before reading the body: read a small one anyway, so the client, which is
            // still sending it, gets this answer rather than a reset connection.
            if let Some(body) = body {
                let _ = axum::body::to_bytes(body, DRAIN_LIMIT).await;
            }
            error(err.into())
        }
    }
}

/// Bodies up to this size are read and dropped when a `PATCH` is refused; larger ones are cut.
const DRAIN_LIMIT: usize = 1024 * 1024;

async fn append_bytes(
    content: &Content,
    owner: &Principal,
    id: &str,
    headers: &HeaderMap,
    body: &mut Option<Body>,
) -> Result<Upload, ContentError> {
    if headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) != Some("application/offset+octet-stream") {
        return Err(ContentError::UnsupportedMediaType(
            "PATCH bodies must be `application/offset+octet-stream`".into(),
        ));
    }
    let offset: u64 = headers
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ContentError::BadRequest("Upload-Offset must be a byte offset".into()))?;
    // One writer per upload at a time; a second concurrent PATCH is a conflict.
    let _busy = content
        .busy_uploads
        .claim(id)
        .ok_or_else(|| ContentError::Conflict("another request is writing this upload".into()))?;
    let mut upload = load(content, owner, id).await?;
    if upload.media_id.is_some() {
        return Err(ContentError::Conflict("this upload is already complete".into()));
    }
    if offset != upload.offset {
        return Err(ContentError::Conflict(format!("the upload is at offset {}, not {offset}", upload.offset)));
    }
    let too_many = || ContentError::TooLarge("more bytes than the Upload-Length given at creation".into());
    let announced =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| offset + n > upload.length) {
        return Err(too_many());
    }
    let mut file = tokio::fs::OpenOptions::new().append(true).open(&upload.path).await?;
    let mut stream = body.take().expect("the body is read once").into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| ContentError::BadRequest(format!("the upload was interrupted: {e}")))?;
        if upload.offset + chunk.len() as u64 > upload.length {
            return Err(too_many());
        }
        file.write_all(&chunk).await?;
        upload.offset += chunk.len() as u64;
    }
    file.sync_data().await?;
    drop(file);
    if upload.offset == upload.length {
        let received = media::received_file(upload.path.clone()).await?;
        match super::media::record(content, owner, received, &upload.claims).await {
            Ok(media) => {
                uploads::completed(&content.store, id, &media.id).await?;
                upload.media_id = Some(media.id);
            }
            Err(err) => {
                // The bytes are not acceptable media: the upload ends here.
                uploads::delete(&content.store, id).await?;
                return Err(err);
            }
        }
    }
    Ok(upload)
}

/// Abandons an upload and deletes what was received (tus termination).
#[utoipa::path(delete, path = "/api/v1/media/uploads/{id}", tag = "media", security(("bearer" = [])),
    params(("id" = String, Path, description = "Upload id"), ("Tus-Resumable" = String, Header, description = "The tus version: 1.0.0 (400 without it, 412 for another)", pattern = r"^1\.0\.0$")),
    responses((status = 204), (status = 404, body = Problem), (status = 412, body = Problem, description = "another tus version")))]
pub(super) async fn terminate(
    State(content): State<Arc<Content>>,
    owner: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(response) = refuse_non_tus(&headers) {
        return response;
    }
    let result = async {
        let upload = load(&content, &owner, &id).await?;
        uploads::delete(&content.store, &id).await?;
        let _ = tokio::fs::remove_file(&upload.path).await;
        Ok::<_, ContentError>(())
    };
    match result.await {
        Ok(()) => tus(StatusCode::NO_CONTENT.into_response()),
        Err(err) => error(err.into()),
    }
}
