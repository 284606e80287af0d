//! `media` and the media bytes: uploads are streamed to a temporary file while hashed, the type
//! is sniffed from the first bytes and checked against the allowlist (`domain::media`), the size
//! against the kind's limit as bytes arrive, image dimensions are read from the header
//! (decompression bombs refused), and only then is the blob stored, under its hash: the same
//! bytes uploaded twice are stored once. The temporary file is deleted when the upload fails or
//! the client goes away, so nothing is left behind.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use contracts::content::{ContentEvent, MediaRef};
use futures::{Stream, StreamExt};
use object_store::{ObjectStore, WriteMultipart, path::Path as ObjectPath};
use platform::{
    Change, StoreError,
    blobs::BlobStore,
    db::{RowExt, now_ms},
};
use sha2::{Digest, Sha256};
use sqlx::{Row, any::AnyRow};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Store, blob_claims};
use crate::{
    config::MediaConfig,
    domain::{
        ContentError,
        media::{Claims, Kind, Media, Usage, classify, largest_allowed, max_bytes, sanitize_filename},
    },
};

/// Bytes read before the type is decided: enough for every signature and image header we read.
const SNIFF_BYTES: usize = 64 * 1024;

const COLUMNS: &str = "id, owner_id, sha256, kind, mime, size, width, height, filename, post_id, \
     created_at_ms, thumbnail_sha256, thumbnail_mime, description";

fn media(row: &AnyRow) -> Result<Media, ContentError> {
    Ok(Media {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        sha256: row.try_get("sha256")?,
        kind: Kind::parse(&row.try_get::<String, _>("kind")?),
        mime: row.try_get("mime")?,
        size: row.try_get("size")?,
        width: row.try_get("width")?,
        height: row.try_get("height")?,
        filename: row.try_get("filename")?,
        post_id: row.opt_post_id("post_id")?,
        created_at_ms: row.try_get("created_at_ms")?,
        thumbnail: row
            .try_get::<Option<String>, _>("thumbnail_sha256")?
            .zip(row.try_get::<Option<String>, _>("thumbnail_mime")?),
        description: row.try_get("description")?,
    })
}

/// Where the blob with this hash lives in the blob store.
pub fn blob_path(sha256: &str) -> ObjectPath {
    ObjectPath::from(format!("blobs/{}/{sha256}", &sha256[..2]))
}

/// A media item.
pub async fn get(store: &Store, id: &str) -> Result<Option<Media>, ContentError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.db().reader())
        .await?;
    row.as_ref().map(media).transpose()
}

/// Sets the description of `owner`'s media `id`; false when they have no such media.
pub async fn describe(store: &Store, owner: &str, id: &str, description: &str) -> Result<bool, ContentError> {
    let done = sqlx::query("UPDATE media SET description = $1 WHERE id = $2 AND owner_id = $3")
        .bind(description)
        .bind(id)
        .bind(owner)
        .execute(store.db().writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The descriptions of the media among `ids` that have one.
pub async fn descriptions(
    store: &Store,
    ids: &[String],
) -> Result<std::collections::HashMap<String, String>, ContentError> {
    let mut found = std::collections::HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, description FROM media WHERE description <> '' AND id IN ({})",
            platform::db::placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(store.db().reader()).await? {
            found.insert(row.try_get("id")?, row.try_get("description")?);
        }
    }
    Ok(found)
}

/// Deletes the temporary file on drop, including when the request future is dropped because
/// the client went away.
struct TempFile {
    path: PathBuf,
    keep: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Bytes received into a temporary file, not yet stored.
pub struct Received {
    temp: TempFile,
    pub size: u64,
    head: Vec<u8>,
    sha256: String,
}

fn hex(digest: impl AsRef<[u8]>) -> String {
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the stream to a temporary file under `data_dir`, hashing it, deciding its type from
/// the first bytes and stopping as soon as it passes the limit for that type.
pub async fn receive<S, E>(
    data_dir: &Path,
    config: &MediaConfig,
    mut body: S,
    claims: &Claims,
) -> Result<Received, ContentError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let tmp_dir = data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir).await?;
    let temp = TempFile { path: tmp_dir.join(format!("upload-{}", uuid::Uuid::new_v4().simple())), keep: false };
    let mut file = tokio::fs::File::create(&temp.path).await?;

    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF_BYTES);
    let mut size: u64 = 0;
    let mut limit = largest_allowed(config);
    let mut decided = false;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ContentError::BadRequest(format!("the upload was interrupted: {e}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ContentError::TooLarge(format!("the file is larger than the {limit} bytes allowed")));
        }
        if !decided && head.len() < SNIFF_BYTES {
            let take = chunk.len().min(SNIFF_BYTES - head.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() == SNIFF_BYTES {
                let (_, kind) = classify(&head, claims)?;
                limit = max_bytes(config, kind);
                decided = true;
            }
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    file.sync_all().await?;
    Ok(Received { temp, size, head, sha256: hex(hasher.finalize()) })
}

/// A completely received resumable upload (the file at `path`, which is consumed), hashed.
pub async fn received_file(path: PathBuf) -> Result<Received, ContentError> {
    let temp = TempFile { path, keep: false };
    let mut file = tokio::fs::File::open(&temp.path).await?;
    let mut hasher = Sha256::new();
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        if head.len() < SNIFF_BYTES {
            head.extend_from_slice(&buffer[..n.min(SNIFF_BYTES - head.len())]);
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok(Received { temp, size, head, sha256: hex(hasher.finalize()) })
}

/// Checks what was received (type, size, image dimensions), stores the blob and records the
/// media for `owner`. An image is recorded as waiting for its thumbnail.
pub async fn record(
    store: &Store,
    blobs: &BlobStore,
    config: &MediaConfig,
    owner: &str,
    received: Received,
    claims: &Claims,
) -> Result<Media, ContentError> {
    let Received { temp, size, head, sha256 } = received;
    if size == 0 {
        return Err(ContentError::field("file", "is empty"));
    }
    let (mime, kind) = classify(&head, claims)?;
    let max = max_bytes(config, kind);
    if size > max {
        return Err(ContentError::TooLarge(format!("{} files may be at most {max} bytes", kind.as_str())));
    }
    let (width, height) = if kind == Kind::Image {
        let dims =
            imagesize::blob_size(&head).map_err(|_| ContentError::field("file", "the image header cannot be read"))?;
        let pixels = dims.width as u64 * dims.height as u64;
        if pixels > config.max_image_pixels {
            return Err(ContentError::field(
                "file",
                format!("{}×{} pixels is more than the {} allowed", dims.width, dims.height, config.max_image_pixels),
            ));
        }
        (Some(dims.width as i64), Some(dims.height as i64))
    } else {
        (None, None)
    };
    let media = Media {
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
        description: String::new(),
    };
    // Held from before looking for the blob until the media is recorded: a collection must not
    // delete bytes this upload reuses.
    blob_claims::hold(store.db(), &media.sha256).await?;
    let recorded = keep_and_insert(store, blobs, temp, &media).await;
    blob_claims::unhold(store.db(), &media.sha256).await?;
    recorded.map(|()| media)
}

/// Keeps the bytes and records the media with its event (the second half of [`record`], under
/// its hold).
async fn keep_and_insert(store: &Store, blobs: &BlobStore, temp: TempFile, media: &Media) -> Result<(), ContentError> {
    keep(blobs, temp, &media.sha256).await?;
    let mut change = store.writer().begin().await?;
    insert_in(&mut change, media, false).await?;
    change.commit().await?;
    Ok(())
}

/// Records `media` with its event inside `change`.
async fn insert_in(change: &mut Change, media: &Media, source_avatar: bool) -> Result<(), ContentError> {
    sqlx::query(
        "INSERT INTO media (id, owner_id, sha256, kind, mime, size, width, height, filename, created_at_ms, \
         thumbnail_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&media.id)
    .bind(&media.owner_id)
    .bind(&media.sha256)
    .bind(media.kind.as_str())
    .bind(&media.mime)
    .bind(media.size)
    .bind(media.width)
    .bind(media.height)
    .bind(&media.filename)
    .bind(media.created_at_ms)
    .bind(if media.kind == Kind::Image { "pending" } else { "none" })
    .execute(change.conn())
    .await?;
    uploaded_in(change, media, source_avatar).await
}

async fn uploaded_in(change: &mut Change, media: &Media, source_avatar: bool) -> Result<(), ContentError> {
    let owner_id = media.owner_id.parse().map_err(|e| StoreError::decode("owner_id", e))?;
    let uploaded = MediaRef {
        id: media.id.clone(),
        owner_id,
        kind: media.kind.as_str().to_owned(),
        source_avatar,
        mime: Some(media.mime.clone()),
        size: Some(media.size),
    };
    change.emit(&ContentEvent::MediaUploaded(uploaded)).await?;
    Ok(())
}

/// Stores the avatar image a source's feed names (the crawler's event) as the source
/// account's media, inside the consumer's `change`, with the checks of an upload: the type
/// from the bytes (images only), the size and the pixels. The same image again is the same
/// media (a redelivery, or a feed that names it anew). `false`: not an image we accept.
pub async fn record_source_avatar(
    blobs: &BlobStore,
    config: &MediaConfig,
    data_dir: &Path,
    change: &mut Change,
    owner: uuid::Uuid,
    bytes: &[u8],
) -> Result<bool, ContentError> {
    let claims = Claims { filename: String::new(), content_type: None };
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let Ok((mime, Kind::Image)) = classify(head, &claims) else { return Ok(false) };
    let Ok(dims) = imagesize::blob_size(head) else { return Ok(false) };
    let too_many_pixels = dims.width as u64 * dims.height as u64 > config.max_image_pixels;
    if bytes.is_empty() || bytes.len() as u64 > max_bytes(config, Kind::Image) || too_many_pixels {
        return Ok(false);
    }
    let sha256 = hex(Sha256::digest(bytes));
    let existing = sqlx::query(&format!("SELECT {COLUMNS} FROM media WHERE owner_id = $1 AND sha256 = $2"))
        .bind(owner.to_string())
        .bind(&sha256)
        .fetch_optional(change.conn())
        .await?;
    if let Some(existing) = existing {
        uploaded_in(change, &media(&existing)?, true).await?;
        return Ok(true);
    }
    let tmp_dir = data_dir.join("tmp");
    tokio::fs::create_dir_all(&tmp_dir).await?;
    let temp = TempFile { path: tmp_dir.join(format!("avatar-{}", uuid::Uuid::new_v4().simple())), keep: false };
    tokio::fs::write(&temp.path, bytes).await?;
    // The blob is kept before the row exists; if the change then fails, the event is
    // delivered again, finds the same bytes stored and records them.
    keep(blobs, temp, &sha256).await?;
    let media = Media {
        id: uuid::Uuid::now_v7().to_string(),
        owner_id: owner.to_string(),
        sha256,
        kind: Kind::Image,
        mime: mime.to_owned(),
        size: bytes.len() as i64,
        width: Some(dims.width as i64),
        height: Some(dims.height as i64),
        filename: "avatar".into(),
        post_id: None,
        created_at_ms: now_ms(),
        thumbnail: None,
        description: String::new(),
    };
    insert_in(change, &media, true).await?;
    Ok(true)
}

/// Moves the finished temporary file to `blobs/<sha>`: a rename on the local store, a streamed
/// multipart upload on S3. Existing bytes with the same hash are kept as they are.
async fn keep(blobs: &BlobStore, mut temp: TempFile, sha256: &str) -> Result<(), ContentError> {
    let path = blob_path(sha256);
    let store = blobs.store();
    if store.head(&path).await.is_ok() {
        return Ok(());
    }
    if let Some(root) = blobs.local_root() {
        let target = root.join(path.as_ref());
        tokio::fs::create_dir_all(target.parent().expect("blob paths have a parent")).await?;
        tokio::fs::rename(&temp.path, &target).await?;
        temp.keep = true;
        return Ok(());
    }
    let upload = store.put_multipart(&path).await?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
    let mut file = tokio::fs::File::open(&temp.path).await?;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(4).await?;
        writer.write(&buffer[..n]);
    }
    writer.finish().await?;
    Ok(())
}

/// What `owner`'s media and unfinished uploads take.
pub async fn usage(store: &Store, owner: &str) -> Result<Usage, ContentError> {
    let db = store.db().reader();
    let stored: i64 = sqlx::query("SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM media WHERE owner_id = $1")
        .bind(owner)
        .fetch_one(db)
        .await?
        .try_get("n")?;
    let pending = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(length), 0) AS BIGINT) AS bytes FROM uploads \
         WHERE owner_id = $1 AND media_id IS NULL",
    )
    .bind(owner)
    .fetch_one(db)
    .await?;
    let (count, bytes): (i64, i64) = (pending.try_get("n")?, pending.try_get("bytes")?);
    Ok(Usage { bytes: (stored + bytes) as u64, uploads_in_progress: count as usize })
}

/// Images waiting for a thumbnail: `(id, sha256)`, up to `limit`.
pub async fn pending_thumbnails(store: &Store, limit: i64) -> Result<Vec<(String, String)>, ContentError> {
    let rows = sqlx::query("SELECT id, sha256 FROM media WHERE thumbnail_state = 'pending' LIMIT $1")
        .bind(limit)
        .fetch_all(store.db().reader())
        .await?;
    rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("sha256")?))).collect()
}

/// Records the outcome of making a thumbnail: `ready` with its blob and type, or `failed`.
pub async fn set_thumbnail(
    store: &Store,
    id: &str,
    state: &str,
    thumbnail: Option<(&str, &str)>,
) -> Result<(), ContentError> {
    sqlx::query("UPDATE media SET thumbnail_state = $1, thumbnail_sha256 = $2, thumbnail_mime = $3 WHERE id = $4")
        .bind(state)
        .bind(thumbnail.map(|t| t.0))
        .bind(thumbnail.map(|t| t.1))
        .bind(id)
        .execute(store.db().writer())
        .await?;
    Ok(())
}

/// Whether any media refers to the blob `sha256`, as its bytes or its thumbnail.
async fn is_used(store: &Store, sha256: &str) -> Result<bool, ContentError> {
    let row = sqlx::query("SELECT 1 FROM media WHERE sha256 = $1 OR thumbnail_sha256 = $1 LIMIT 1")
        .bind(sha256)
        .fetch_optional(store.db().writer())
        .await?;
    Ok(row.is_some())
}

/// Deletes up to `limit` media uploaded longer than `older_than_ms` ago and never attached (nor
/// anyone's avatar), and each blob no other media refers to (nor uses as its thumbnail). Returns
/// how many media were collected.
pub async fn collect_unattached(
    store: &Store,
    blobs: &BlobStore,
    older_than_ms: i64,
    limit: usize,
) -> Result<usize, ContentError> {
    let cutoff = now_ms() - older_than_ms;
    let rows = sqlx::query(
        "SELECT id, sha256, thumbnail_sha256 FROM media WHERE post_id IS NULL AND created_at_ms < $1 \
         AND id NOT IN (SELECT avatar_media_id FROM known_users WHERE avatar_media_id IS NOT NULL) LIMIT $2",
    )
    .bind(cutoff)
    .bind(limit as i64)
    .fetch_all(store.db().reader())
    .await?;
    for row in &rows {
        let id: String = row.try_get("id")?;
        sqlx::query("DELETE FROM media WHERE id = $1 AND post_id IS NULL")
            .bind(&id)
            .execute(store.db().writer())
            .await?;
        let shas = [Some(row.try_get::<String, _>("sha256")?), row.try_get::<Option<String>, _>("thumbnail_sha256")?];
        for sha256 in shas.into_iter().flatten() {
            if is_used(store, &sha256).await? || !blob_claims::claim_for_deletion(store.db(), &sha256).await? {
                continue;
            }
            // Claimed: no writer holds it now, but one whose hold ended may have recorded media.
            let deleted = async {
                if !is_used(store, &sha256).await? {
                    match blobs.store().delete(&blob_path(&sha256)).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                        Err(err) => return Err(ContentError::from(err)),
                    }
                }
                Ok(())
            };
            let outcome = deleted.await;
            blob_claims::release(store.db(), &sha256).await?;
            outcome?;
        }
    }
    Ok(rows.len())
}
