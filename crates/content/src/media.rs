//! Media: ingesting uploaded bytes (streamed, sniffed, size-checked, content-addressed) and
//! describing them.
//!
//! An upload is streamed to a temporary file while its SHA-256 is computed, so memory use is
//! flat whatever the size. The type is sniffed from the first bytes and checked against an
//! allowlist; a filename or declared type that says otherwise is refused. Only then is the blob
//! stored, under its hash: the same bytes uploaded twice are stored once. The temporary file is
//! deleted when the upload fails or the client goes away, so nothing is left behind.

use std::path::PathBuf;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use object_store::{ObjectStore, WriteMultipart, path::Path as ObjectPath};
use platform::{ApiError, db::now_ms};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Row, any::AnyRow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use utoipa::ToSchema;

use crate::Content;

/// Bytes read before the type is decided: enough for every signature and image header we read.
const SNIFF_BYTES: usize = 64 * 1024;

/// What kind of media a type is; each kind has its own size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Image,
    Video,
    Audio,
    Document,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Image => "image",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Document => "document",
        }
    }
}

/// The allowlist: sniffed type → kind and the extensions a filename may have for it.
const ALLOWED: &[(&str, Kind, &[&str])] = &[
    ("image/jpeg", Kind::Image, &["jpg", "jpeg", "jfif"]),
    ("image/png", Kind::Image, &["png"]),
    ("image/gif", Kind::Image, &["gif"]),
    ("image/webp", Kind::Image, &["webp"]),
    ("image/avif", Kind::Image, &["avif"]),
    ("video/mp4", Kind::Video, &["mp4", "m4v"]),
    ("video/webm", Kind::Video, &["webm"]),
    ("video/quicktime", Kind::Video, &["mov", "qt"]),
    ("audio/mpeg", Kind::Audio, &["mp3"]),
    ("audio/ogg", Kind::Audio, &["ogg", "oga", "opus"]),
    ("audio/x-wav", Kind::Audio, &["wav"]),
    ("audio/x-flac", Kind::Audio, &["flac"]),
    ("audio/m4a", Kind::Audio, &["m4a"]),
    ("application/pdf", Kind::Document, &["pdf"]),
];

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
    pub filename: String,
    /// Hex SHA-256 of the bytes, also the download's `ETag`.
    pub sha256: String,
    /// Where to download the bytes.
    pub url: String,
    pub post_id: Option<String>,
    /// A scaled-down copy (images only), once the background task has made it.
    pub thumbnail_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
}

pub const MEDIA_COLUMNS: &str = "id, owner_id, sha256, kind, mime, size, width, height, filename, post_id, \
     created_at_ms, thumbnail_sha256, thumbnail_mime";

/// A media row.
#[derive(Debug, Clone)]
pub struct MediaRow {
    pub id: String,
    pub owner_id: String,
    pub sha256: String,
    pub kind: Kind,
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub filename: String,
    pub post_id: Option<i64>,
    pub created_at_ms: i64,
    /// The thumbnail's blob and type, once made.
    pub thumbnail: Option<(String, String)>,
}

impl MediaRow {
    pub fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let kind = match row.try_get::<String, _>("kind")?.as_str() {
            "image" => Kind::Image,
            "video" => Kind::Video,
            "audio" => Kind::Audio,
            _ => Kind::Document,
        };
        Ok(Self {
            id: row.try_get("id")?,
            owner_id: row.try_get("owner_id")?,
            sha256: row.try_get("sha256")?,
            kind,
            mime: row.try_get("mime")?,
            size: row.try_get("size")?,
            width: row.try_get("width")?,
            height: row.try_get("height")?,
            filename: row.try_get("filename")?,
            post_id: row.try_get("post_id")?,
            created_at_ms: row.try_get("created_at_ms")?,
            thumbnail: row
                .try_get::<Option<String>, _>("thumbnail_sha256")?
                .zip(row.try_get::<Option<String>, _>("thumbnail_mime")?),
        })
    }

    pub fn view(&self) -> MediaView {
        MediaView {
            id: self.id.clone(),
            kind: self.kind,
            mime: self.mime.clone(),
            size: self.size,
            width: self.width,
            height: self.height,
            filename: self.filename.clone(),
            sha256: self.sha256.clone(),
            url: format!("/api/v1/media/{}/content", self.id),
            post_id: self.post_id.map(|id| (id as u64).to_string()),
            thumbnail_url: self.thumbnail.as_ref().map(|_| format!("/api/v1/media/{}/thumbnail", self.id)),
            created_at: platform::db::from_ms(self.created_at_ms),
        }
    }

    pub fn blob_path(&self) -> ObjectPath {
        blob_path(&self.sha256)
    }
}

pub fn blob_path(sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("blobs/{}/{sha256}", &sha256[..2]))
}

/// Keeps only the last path segment of a client's filename and the characters safe in a
/// `Content-Disposition` header: no directories, no control characters, no quotes.
pub fn sanitize_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_owned();
    cleaned.chars().take(200).collect()
}

/// What the client claimed about an upload, to be checked against the bytes.
#[derive(Debug, Default)]
pub struct Claims {
    pub filename: String,
    pub content_type: Option<String>,
}

fn max_bytes(content: &Content, kind: Kind) -> u64 {
    let media = &content.config.media;
    match kind {
        Kind::Image => media.max_image_bytes,
        Kind::Video => media.max_video_bytes,
        Kind::Audio => media.max_audio_bytes,
        Kind::Document => media.max_document_bytes,
    }
}

/// The largest upload of any kind: a request above it is refused before reading.
pub fn largest_allowed(content: &Content) -> u64 {
    [Kind::Image, Kind::Video, Kind::Audio, Kind::Document]
        .into_iter()
        .map(|k| max_bytes(content, k))
        .max()
        .unwrap_or(0)
}

/// Decides the type from the first bytes and checks the client's claims against it.
fn classify(head: &[u8], claims: &Claims) -> Result<(&'static str, Kind), ApiError> {
    let sniffed = infer::get(head).map(|t| t.mime_type());
    let Some(&(mime, kind, extensions)) = sniffed.and_then(|m| ALLOWED.iter().find(|(allowed, ..)| *allowed == m))
    else {
        let what = sniffed.unwrap_or("unrecognized data");
        return Err(ApiError::unsupported_media_type(format!(
            "{what} is not accepted; allowed are images (JPEG, PNG, GIF, WebP, AVIF), video (MP4, WebM, QuickTime), \
             audio (MP3, Ogg, WAV, FLAC, M4A) and PDF documents"
        )));
    };
    if let Some((_, extension)) = claims.filename.rsplit_once('.') {
        let extension = extension.to_ascii_lowercase();
        let known_elsewhere = ALLOWED.iter().any(|(_, _, exts)| exts.contains(&extension.as_str()));
        if known_elsewhere && !extensions.contains(&extension.as_str()) {
            return Err(ApiError::unsupported_media_type(format!(
                "the file name says .{extension} but the bytes are {mime}"
            )));
        }
    }
    if let Some(declared) =
        claims.content_type.as_deref().map(|t| t.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        && !declared.is_empty()
        && declared != "application/octet-stream"
        && declared != mime
        && !(declared.starts_with(kind.as_str()) && kind != Kind::Document)
    {
        return Err(ApiError::unsupported_media_type(format!("declared {declared} but the bytes are {mime}")));
    }
    Ok((mime, kind))
}

/// Deletes the temporary file on drop, including when the request future is dropped because
/// the client went away.
struct TempUpload {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Bytes received into a temporary file, not yet stored.
pub struct Received {
    temp: TempUpload,
    size: u64,
    head: Vec<u8>,
    sha256: String,
}

/// Streams an upload into the blob store and records it for `owner`.
pub async fn ingest<S, E>(content: &Content, owner: &str, body: S, claims: Claims) -> Result<MediaRow, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let received = receive(content, body, &claims).await?;
    finish(content, owner, received, &claims).await
}

/// Records a completely received resumable upload (the file at `path`, which is consumed).
pub async fn ingest_file(content: &Content, owner: &str, path: PathBuf, claims: Claims) -> Result<MediaRow, ApiError> {
    let temp = TempUpload { path, keep: false };
    let mut file = tokio::fs::File::open(&temp.path).await.map_err(anyhow::Error::from)?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer).await.map_err(anyhow::Error::from)?;
        if n == 0 {
            break;
        }
        if head.len() < SNIFF_BYTES {
            head.extend_from_slice(&buffer[..n.min(SNIFF_BYTES - head.len())]);
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    finish(content, owner, Received { temp, size, head, sha256 }, &claims).await
}

/// Writes the stream to a temporary file, hashing it, deciding its type from the first bytes and
/// stopping as soon as it passes the limit for that type.
async fn receive<S, E>(content: &Content, mut body: S, claims: &Claims) -> Result<Received, ApiError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let tmp_dir = content.config.data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir).await.map_err(anyhow::Error::from)?;
    let temp = TempUpload { path: tmp_dir.join(format!("upload-{}", uuid::Uuid::new_v4().simple())), keep: false };
    let mut file = tokio::fs::File::create(&temp.path).await.map_err(anyhow::Error::from)?;

    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    let mut limit = largest_allowed(content);
    let mut decided = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request(format!("the upload was interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::payload_too_large(format!("the file is larger than the {limit} bytes allowed")));
        }
        if !decided && head.len() < SNIFF_BYTES {
            let take = chunk.len().min(SNIFF_BYTES - head.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() == SNIFF_BYTES {
                let (_, kind) = classify(&head, claims)?;
                limit = max_bytes(content, kind);
                decided = true;
            }
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(anyhow::Error::from)?;
    }
    file.flush().await.map_err(anyhow::Error::from)?;
    file.sync_all().await.map_err(anyhow::Error::from)?;
    let sha256 = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Received { temp, size, head, sha256 })
}

/// Checks what was received (type, size, image dimensions), stores the blob and records it.
async fn finish(content: &Content, owner: &str, received: Received, claims: &Claims) -> Result<MediaRow, ApiError> {
    let Received { temp, size, head, sha256 } = received;
    if size == 0 {
        return Err(ApiError::invalid_field("file", "is empty"));
    }
    let (mime, kind) = classify(&head, claims)?;
    let max = max_bytes(content, kind);
    if size > max {
        return Err(ApiError::payload_too_large(format!("{} files may be at most {max} bytes", kind.as_str())));
    }
    let (width, height) = if kind == Kind::Image {
        let dims = imagesize::blob_size(&head)
            .map_err(|_| ApiError::invalid_field("file", "the image header cannot be read"))?;
        let pixels = dims.width as u64 * dims.height as u64;
        if pixels > content.config.media.max_image_pixels {
            return Err(ApiError::invalid_field(
                "file",
                format!(
                    "{}×{} pixels is more than the {} allowed",
                    dims.width, dims.height, content.config.media.max_image_pixels
                ),
            ));
        }
        (Some(dims.width as i64), Some(dims.height as i64))
    } else {
        (None, None)
    };
    store_blob(content, temp, &sha256).await?;

    let row = MediaRow {
        id: uuid::Uuid::now_v7().to_string(),
        owner_id: owner.to_owned(),
        sha256,
        kind,
        mime: mime.to_owned(),
        size: size as i64,
        width,
        height,
        filename: sanitize_filename(&claims.filename),
        post_id: None,
        created_at_ms: now_ms(),
        thumbnail: None,
    };
    sqlx::query(
        "INSERT INTO media (id, owner_id, sha256, kind, mime, size, width, height, filename, created_at_ms, \
         thumbnail_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&row.id)
    .bind(&row.owner_id)
    .bind(&row.sha256)
    .bind(row.kind.as_str())
    .bind(&row.mime)
    .bind(row.size)
    .bind(row.width)
    .bind(row.height)
    .bind(&row.filename)
    .bind(row.created_at_ms)
    .bind(if kind == Kind::Image { "pending" } else { "none" })
    .execute(content.db.writer())
    .await?;
    if kind == Kind::Image {
        content.thumbnails_wanted.notify_one();
    }
    Ok(row)
}

/// Moves the finished temporary file to `blobs/<sha>`: a rename on the local store, a streamed
/// multipart upload on S3. Existing bytes with the same hash are kept as they are.
async fn store_blob(content: &Content, mut temp: TempUpload, sha256: &str) -> Result<(), ApiError> {
    let path = blob_path(sha256);
    let store = content.blobs.store();
    if store.head(&path).await.is_ok() {
        return Ok(());
    }
    if let Some(root) = content.blobs.local_root() {
        let target = root.join(path.as_ref());
        tokio::fs::create_dir_all(target.parent().expect("blob paths have a parent"))
            .await
            .map_err(anyhow::Error::from)?;
        tokio::fs::rename(&temp.path, &target).await.map_err(anyhow::Error::from)?;
        temp.keep = true;
        return Ok(());
    }
    let upload = store.put_multipart(&path).await.map_err(anyhow::Error::from)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
    let mut file = tokio::fs::File::open(&temp.path).await.map_err(anyhow::Error::from)?;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer).await.map_err(anyhow::Error::from)?;
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(4).await.map_err(anyhow::Error::from)?;
        writer.write(&buffer[..n]);
    }
    writer.finish().await.map_err(anyhow::Error::from)?;
    Ok(())
}

/// Loads a media row.
pub async fn load(content: &Content, id: &str) -> Result<Option<MediaRow>, ApiError> {
    let row = sqlx::query(&format!("SELECT {MEDIA_COLUMNS} FROM media WHERE id = $1"))
        .bind(id)
        .fetch_optional(content.db.reader())
        .await?;
    Ok(row.as_ref().map(MediaRow::from_row).transpose()?)
}

/// Deletes media uploaded longer than `older_than_ms` ago and never attached, and each blob no
/// other media refers to (nor uses as its thumbnail). Returns how many media were collected.
pub async fn collect_unattached(content: &Content, older_than_ms: i64) -> anyhow::Result<usize> {
    let cutoff = now_ms() - older_than_ms;
    let rows = sqlx::query(
        "SELECT id, sha256, thumbnail_sha256 FROM media WHERE post_id IS NULL AND created_at_ms < $1 LIMIT 1000",
    )
    .bind(cutoff)
    .fetch_all(content.db.reader())
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        sqlx::query("DELETE FROM media WHERE id = $1 AND post_id IS NULL")
            .bind(&id)
            .execute(content.db.writer())
            .await?;
        let blobs = [Some(row.try_get::<String, _>("sha256")?), row.try_get::<Option<String>, _>("thumbnail_sha256")?];
        for sha256 in blobs.into_iter().flatten() {
            let users: i64 = sqlx::query("SELECT COUNT(*) AS n FROM media WHERE sha256 = $1 OR thumbnail_sha256 = $1")
                .bind(&sha256)
                .fetch_one(content.db.reader())
                .await?
                .try_get("n")?;
            if users == 0 {
                match content.blobs.store().delete(&blob_path(&sha256)).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                    Err(err) => return Err(err.into()),
                }
            }
        }
    }
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_header_breaking_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\x\\photo.jpg"), "photo.jpg");
        assert_eq!(sanitize_filename("a\"b;c\r\nd.png"), "abcd.png");
        assert_eq!(sanitize_filename(".hidden"), "hidden");
        assert_eq!(sanitize_filename("照片.png"), "照片.png");
    }

    #[test]
    fn the_bytes_decide_the_type_and_a_lying_name_is_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        let claims = |name: &str, declared: Option<&str>| Claims {
            filename: name.into(),
            content_type: declared.map(Into::into),
        };
        assert_eq!(classify(png, &claims("a.png", Some("image/png"))).unwrap(), ("image/png", Kind::Image));
        assert_eq!(classify(png, &claims("a", None)).unwrap().0, "image/png", "no extension is fine");
        assert_eq!(classify(png, &claims("a.PNG", Some("application/octet-stream"))).unwrap().0, "image/png");
        assert_eq!(classify(png, &claims("a.jpg", None)).unwrap_err().status(), 415, "the name lies");
        assert_eq!(classify(png, &claims("a.png", Some("application/pdf"))).unwrap_err().status(), 415);
        assert_eq!(classify(b"#!/bin/sh\nrm -rf /", &claims("x.sh", None)).unwrap_err().status(), 415);
        assert_eq!(
            classify(b"MZ\x90\0", &claims("x.png", None)).unwrap_err().status(),
            415,
            "executables are not media"
        );
    }
}
