//! Media upload (multipart) and download (ranges, conditional requests, long caching).

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Multipart, State, multipart::MultipartRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, TryStreamExt};
use object_store::{GetOptions, GetRange, ObjectStore as _};
use platform::{
    ApiError, Principal,
    db::from_ms,
    http::{Json, Path, Problem},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    Content,
    domain::{
        ContentError,
        media::{Claims, Kind, Media, MediaAccess, PostReaders, largest_allowed, media_access},
        posts::{Access, Blocks, access},
    },
    store::{
        known,
        media::{self, blob_path},
        posts,
    },
};

/// A media item as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediaView {
    pub id: String,
    pub kind: Kind,
    /// The type sniffed from the bytes.
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// The uploader's file name, shown to the uploader only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Hex SHA-256 of the bytes, also the download's `ETag`.
    pub sha256: String,
    /// Where to download the bytes.
    pub url: String,
    pub post_id: Option<String>,
    /// A scaled-down copy (images only), once the background task has made it.
    pub thumbnail_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// Alt text: what it shows, for people who cannot see it (empty until the uploader writes
    /// one with `PATCH /api/v1/media/{id}`).
    pub description: String,
}

impl MediaView {
    /// The description `viewer` sees (the file name only when they uploaded it).
    pub fn of(media: &Media, viewer: Option<&Principal>) -> Self {
        MediaView {
            id: media.id.clone(),
            kind: media.kind,
            mime: media.mime.clone(),
            size: media.size,
            width: media.width,
            height: media.height,
            filename: viewer.filter(|v| media.is_owned_by(&v.user_id.to_string())).map(|_| media.filename.clone()),
            sha256: media.sha256.clone(),
            url: format!("/api/v1/media/{}/content", media.id),
            post_id: media.post_id.map(|id| id.to_string()),
            thumbnail_url: media.thumbnail.as_ref().map(|_| format!("/api/v1/media/{}/thumbnail", media.id)),
            created_at: from_ms(media.created_at_ms),
            description: media.description.clone(),
        }
    }
}

/// Records a received upload as `owner`'s media and asks for its thumbnail.
pub(super) async fn record(
    content: &Content,
    owner: &Principal,
    received: media::Received,
    claims: &Claims,
) -> Result<Media, ContentError> {
    let media =
        media::record(&content.store, &content.blobs, &content.media, &owner.user_id.to_string(), received, claims)
            .await?;
    if media.kind == Kind::Image {
        content.thumbnails_wanted.notify_one();
    }
    Ok(media)
}

/// Media `id` and what `viewer` may do with it; media they may not fetch is no such media.
async fn readable(
    content: &Content,
    viewer: Option<&Principal>,
    id: &str,
) -> Result<(Media, MediaAccess), ContentError> {
    let media = media::get(&content.store, id).await?.ok_or(ContentError::NoSuchMedia)?;
    let is_owner = viewer.is_some_and(|v| media.is_owned_by(&v.user_id.to_string()));
    let post = match media.post_id {
        None => None,
        Some(post) => match posts::get(&content.store, post).await? {
            // A deleted post's media are its author's alone, like an upload never attached.
            None => None,
            Some(p) if p.deleted => None,
            Some(p) if access(None, &p, Blocks::default()) == Access::Granted => Some(PostReaders::Everyone),
            Some(_) if posts::visible(&content.store, viewer, post).await.is_ok() => Some(PostReaders::ThisViewer),
            Some(_) => Some(PostReaders::NotThisViewer),
        },
    };
    let is_avatar = post.is_none() && known::is_avatar(&content.store, id).await?;
    match media_access(is_owner, is_avatar, post) {
        MediaAccess::Denied => Err(ContentError::NoSuchMedia),
        access => Ok((media, access)),
    }
}

// Only the schema of this form is used (the handler reads the parts as they stream);
// `deny_unknown_fields` makes that schema say no other field is allowed.
/// The upload form: one field, `file`.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct UploadForm {
    /// The file's bytes, with its name in the part's `filename`.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads a file (multipart form, field `file`). The type is sniffed from the bytes and must be
/// an image, video, audio file or PDF; each kind has a size limit (`media.max_*_bytes`).
#[utoipa::path(post, path = "/api/v1/media", tag = "media", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = MediaView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 413, body = Problem, description = "larger than its kind allows, or than what is left of the caller's quota"),
        (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(super) async fn upload(
    State(content): State<Arc<Content>>,
    owner: Principal,
    headers: HeaderMap,
    form: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let mut form = form.map_err(|e| ApiError::bad_request(format!("not a multipart form: {}", e.body_text())))?;
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let ceiling = largest_allowed(&content.media);
    if declared.is_some_and(|length| length > ceiling + 64 * 1024) {
        return Err(ContentError::TooLarge(format!("uploads may be at most {ceiling} bytes")).into());
    }
    let bad_form = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("malformed form: {}", e.body_text()))
    };
    let unknown = |name: Option<&str>| {
        let name = name.unwrap_or_default().chars().take(64).collect::<String>();
        ApiError::from(ContentError::field(&name, "is not a field of this form; send only `file`"))
    };
    let Some(field) = form.next_field().await.map_err(bad_form)? else {
        return Err(ContentError::field("file", "the form has no `file` field").into());
    };
    if field.name() != Some("file") {
        return Err(unknown(field.name()));
    }
    let claims = Claims {
        filename: field.file_name().unwrap_or_default().to_owned(),
        content_type: field.content_type().map(str::to_owned),
    };
    let usage = media::usage(&content.store, &owner.user_id.to_string()).await?;
    if let Some(length) = declared {
        usage.fits(length, &content.media)?;
    }
    let received = media::receive(&content.data_dir, &content.media, field, &claims).await?;
    // Anything after `file` refuses the whole form; `received` deletes its bytes when dropped.
    if let Some(extra) = form.next_field().await.map_err(bad_form)? {
        return Err(unknown(extra.name()));
    }
    usage.fits(received.size, &content.media)?;
    let media = record(&content, &owner, received, &claims).await?;
    Ok((StatusCode::CREATED, Json(MediaView::of(&media, Some(&owner)))))
}

/// A media item's description, for those who may see it: anyone for an avatar or the media of a
/// post everyone may read, those who may read the post for other attached media, the uploader
/// alone for an upload not attached yet. Others get 404, as for no such media.
#[utoipa::path(get, path = "/api/v1/media/{id}", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses((status = 200, body = MediaView), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn show(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
) -> Result<Json<MediaView>, ApiError> {
    let (media, _) = readable(&content, viewer.as_ref(), &id).await?;
    Ok(Json(MediaView::of(&media, viewer.as_ref())))
}

#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Describe {
    /// Up to 1,500 characters; empty removes the description.
    #[schema(max_length = 1500)]
    description: String,
}

/// Describes one of the caller's media for people who cannot see it (alt text), before or after
/// it is attached. Others' media are 404, as for no such media.
#[utoipa::path(patch, path = "/api/v1/media/{id}", tag = "media", security(("bearer" = [])), request_body = Describe,
    params(("id" = String, Path, description = "Media id")),
    responses((status = 200, body = MediaView), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub(super) async fn describe(
    State(content): State<Arc<Content>>,
    owner: Principal,
    Path(id): Path<String>,
    Json(body): Json<Describe>,
) -> Result<Json<MediaView>, ApiError> {
    let description = body.description.trim();
    if description.chars().count() > crate::domain::media::MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid_field("description", "at most 1,500 characters"));
    }
    if !media::describe(&content.store, &owner.user_id.to_string(), &id, description).await? {
        return Err(ContentError::NoSuchMedia.into());
    }
    let media = media::get(&content.store, &id).await?.ok_or(ContentError::NoSuchMedia)?;
    Ok(Json(MediaView::of(&media, Some(&owner))))
}

/// Several ranges are answered as `multipart/byteranges` up to this many bytes in all; a larger
/// request gets the whole file instead (a server may ignore `Range`).
const MAX_MULTI_RANGE_BYTES: u64 = 8 * 1024 * 1024;
const MAX_RANGES: usize = 16;

/// The bytes, streamed, to those who may see the media (see `GET /api/v1/media/{id}`). Supports
/// `Range` (206, several ranges as `multipart/byteranges`, 416 when none fits), `If-None-Match`
/// (304) and `If-Range`. Public media may be kept by shared caches for an hour; other media only
/// by the viewer's own cache.
#[utoipa::path(get, path = "/api/v1/media/{id}/content", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses((status = 200, description = "the whole file"), (status = 206, description = "the requested ranges"),
        (status = 304, description = "not modified"), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 416, body = Problem)))]
pub(super) async fn download(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
    request: HeaderMap,
) -> Result<Response, ApiError> {
    let (row, access) = readable(&content, viewer.as_ref(), &id).await?;
    let is_owner = viewer.is_some_and(|v| row.is_owned_by(&v.user_id.to_string()));
    let blob = Blob {
        sha256: row.sha256.clone(),
        mime: row.mime.clone(),
        size: row.size as u64,
        disposition: disposition(&row, is_owner),
        access,
    };
    serve(&content, blob, &request).await
}

/// Thumbnail of an image, to those who may see the image (404 until the background task made
/// it, or for other kinds).
#[utoipa::path(get, path = "/api/v1/media/{id}/thumbnail", tag = "media",
    params(("id" = String, Path, description = "Media id")),
    responses((status = 200, description = "a JPEG or PNG at most 400 pixels on its longest side"),
        (status = 304, description = "not modified"), (status = 401, body = Problem), (status = 404, body = Problem)))]
pub(super) async fn thumbnail(
    State(content): State<Arc<Content>>,
    viewer: Option<Principal>,
    Path(id): Path<String>,
    request: HeaderMap,
) -> Result<Response, ApiError> {
    let (row, access) = readable(&content, viewer.as_ref(), &id).await?;
    let (sha256, mime) = row.thumbnail.ok_or_else(|| ApiError::not_found("this media has no thumbnail (yet)"))?;
    let size = content.blobs.store().head(&blob_path(&sha256)).await.map_err(anyhow::Error::from)?.size;
    let blob = Blob { sha256, mime, size, disposition: HeaderValue::from_static("inline"), access };
    serve(&content, blob, &request).await
}

/// Bytes to serve, and who may keep them.
struct Blob {
    sha256: String,
    mime: String,
    size: u64,
    disposition: HeaderValue,
    access: MediaAccess,
}

async fn serve(content: &Content, blob: Blob, request: &HeaderMap) -> Result<Response, ApiError> {
    let etag = format!("\"{}\"", blob.sha256);
    let size = blob.size;
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    // The bytes under a hash never change, but who may read them does (a post is deleted, made
    // followers-only, hidden): shared caches keep public media an hour, and nothing else.
    let cache = match blob.access {
        MediaAccess::Public => "public, max-age=3600",
        _ => "private, max-age=60",
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if blob.access != MediaAccess::Public {
        headers.insert(header::VARY, HeaderValue::from_static("authorization"));
    }
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Nothing we serve may run script in our origin, even a crafted PDF.
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    headers.insert(header::CONTENT_DISPOSITION, blob.disposition.clone());

    let matches =
        |value: &HeaderValue| value.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if request.get(header::IF_NONE_MATCH).is_some_and(matches) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    let range_applies = request.get(header::IF_RANGE).is_none_or(|v| v.to_str().is_ok_and(|v| v == etag));
    let ranges = match request.get(header::RANGE).filter(|_| range_applies) {
        None => None,
        Some(value) => {
            let parsed = value
                .to_str()
                .ok()
                .and_then(|v| http_range_header::parse_range_header(v).ok())
                .and_then(|r| r.validate(size).ok())
                .filter(|r| !r.is_empty() && r.len() <= MAX_RANGES);
            match parsed {
                Some(ranges) => Some(ranges),
                None => {
                    let mut response = ApiError::new(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        "range-not-satisfiable",
                        format!("the requested range does not fit a file of {size} bytes"),
                    )
                    .into_response();
                    let content_range = HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii");
                    response.headers_mut().insert(header::CONTENT_RANGE, content_range);
                    return Ok(response);
                }
            }
        }
    };
    let store = content.blobs.store();
    let path = blob_path(&blob.sha256);
    let mime = HeaderValue::from_str(&blob.mime).expect("allowlisted type");
    match ranges {
        Some(ranges) if ranges.len() == 1 => {
            let range = ranges[0].clone();
            let options =
                GetOptions { range: Some(GetRange::Bounded(*range.start()..*range.end() + 1)), ..Default::default() };
            let result = store.get_opts(&path, options).await.map_err(anyhow::Error::from)?;
            let body = body_of(result).await?;
            headers.insert(header::CONTENT_TYPE, mime);
            let content_range = format!("bytes {}-{}/{size}", range.start(), range.end());
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_str(&content_range).expect("ascii"));
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(range.end() - range.start() + 1));
            Ok((StatusCode::PARTIAL_CONTENT, headers, body).into_response())
        }
        Some(ranges) if ranges.iter().map(|r| r.end() - r.start() + 1).sum::<u64>() <= MAX_MULTI_RANGE_BYTES => {
            let boundary = uuid::Uuid::new_v4().simple().to_string();
            let mut body = Vec::new();
            for range in &ranges {
                let bytes =
                    store.get_range(&path, *range.start()..*range.end() + 1).await.map_err(anyhow::Error::from)?;
                body.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Type: {}\r\nContent-Range: bytes {}-{}/{size}\r\n\r\n",
                        blob.mime,
                        range.start(),
                        range.end()
                    )
                    .as_bytes(),
                );
                body.extend_from_slice(&bytes);
                body.extend_from_slice(b"\r\n");
            }
            body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            let content_type = format!("multipart/byteranges; boundary={boundary}");
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(&content_type).expect("ascii"));
            Ok((StatusCode::PARTIAL_CONTENT, headers, body).into_response())
        }
        _ => {
            let result = store.get(&path).await.map_err(anyhow::Error::from)?;
            let body = body_of(result).await?;
            headers.insert(header::CONTENT_TYPE, mime);
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
            Ok((StatusCode::OK, headers, body).into_response())
        }
    }
}

/// Streams a blob. A local file is read in large chunks directly (object_store's own local
/// stream reads 8 KiB at a time, which caps downloads far below the disk's speed).
async fn body_of(result: object_store::GetResult) -> Result<Body, ApiError> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let range = result.range.clone();
    match result.payload {
        object_store::GetResultPayload::File(file, _) => {
            let mut file = tokio::fs::File::from_std(file);
            file.seek(std::io::SeekFrom::Start(range.start)).await.map_err(anyhow::Error::from)?;
            let reader = file.take(range.end - range.start);
            Ok(Body::from_stream(tokio_util::io::ReaderStream::with_capacity(reader, 256 * 1024)))
        }
        object_store::GetResultPayload::Stream(stream) => {
            Ok(Body::from_stream(stream.map_err(std::io::Error::other).boxed()))
        }
    }
}

/// Inline for what browsers display safely, a download for documents; the uploader's file name
/// (for the uploader only) is encoded per RFC 6266 so no client-supplied byte can break the header.
fn disposition(row: &Media, is_owner: bool) -> HeaderValue {
    let kind = if row.kind == Kind::Document { "attachment" } else { "inline" };
    if row.filename.is_empty() || !is_owner {
        return HeaderValue::from_static(if row.kind == Kind::Document { "attachment" } else { "inline" });
    }
    let ascii: String =
        row.filename.chars().map(|c| if c.is_ascii_alphanumeric() || "._- ".contains(c) { c } else { '_' }).collect();
    let encoded: String = row
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    HeaderValue::from_str(&format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")).expect("ascii only")
}
