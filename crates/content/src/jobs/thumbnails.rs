//! Thumbnails: after an image is stored, a background task decodes it (with limits, so a
//! decompression bomb fails instead of exhausting memory), scales it to fit 400×400 and stores
//! the result as another content-addressed blob. Images are marked `pending` in the same insert
//! that records them, so a restart finishes whatever a crash interrupted.

use std::{io::Cursor, sync::Arc, time::Duration};

use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use crate::{
    Content,
    store::{
        blob_claims,
        media::{self, blob_path},
    },
};

/// The longest side of a thumbnail, in pixels.
pub const SIZE: u32 = 400;
/// Decoding may allocate at most this much.
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;

/// Makes the thumbnails of pending images until `shutdown`; woken right after an upload.
pub async fn run(content: Arc<Content>, shutdown: CancellationToken) {
    loop {
        match process_pending(&content).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(err) => tracing::warn!(error = format!("{err:#}"), "thumbnail generation failed; will retry"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = content.thumbnails_wanted.notified() => {}
            () = tokio::time::sleep(Duration::from_secs(60)) => {}
        }
    }
}

/// Makes up to a batch of pending thumbnails; returns how many images it handled.
pub async fn process_pending(content: &Content) -> anyhow::Result<usize> {
    let pending = media::pending_thumbnails(&content.store, 16).await?;
    for (id, sha256) in &pending {
        let bytes = content.blobs.store().get(&blob_path(sha256)).await?.bytes().await?;
        let max_pixels = content.media.max_image_pixels;
        let made = tokio::task::spawn_blocking(move || make(&bytes, max_pixels)).await?;
        match made {
            Ok((thumbnail, mime)) => {
                let thumb_sha: String = Sha256::digest(&thumbnail).iter().map(|b| format!("{b:02x}")).collect();
                blob_claims::hold(content.store.db(), &thumb_sha).await?;
                let stored = async {
                    content.blobs.store().put(&blob_path(&thumb_sha), PutPayload::from(thumbnail)).await?;
                    media::set_thumbnail(&content.store, id, "ready", Some((&thumb_sha, mime))).await?;
                    anyhow::Ok(())
                };
                let stored = stored.await;
                blob_claims::unhold(content.store.db(), &thumb_sha).await?;
                stored?;
            }
            Err(reason) => {
                tracing::info!(media = %id, %reason, "no thumbnail for this image");
                media::set_thumbnail(&content.store, id, "failed", None).await?;
            }
        }
    }
    Ok(pending.len())
}

/// Decodes and scales; PNG for images with transparency, JPEG otherwise.
fn make(bytes: &[u8], max_pixels: u64) -> Result<(Vec<u8>, &'static str), String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| e.to_string())?;
    let side = (max_pixels as f64).sqrt().ceil() as u32;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(side.max(1).saturating_mul(4));
    limits.max_image_height = Some(side.max(1).saturating_mul(4));
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| e.to_string())?;
    if u64::from(image.width()) * u64::from(image.height()) > max_pixels {
        return Err("too many pixels".into());
    }
    let thumbnail = image.thumbnail(SIZE, SIZE);
    let mut out = Cursor::new(Vec::new());
    if thumbnail.color().has_alpha() {
        thumbnail.write_to(&mut out, image::ImageFormat::Png).map_err(|e| e.to_string())?;
        Ok((out.into_inner(), "image/png"))
    } else {
        thumbnail.to_rgb8().write_to(&mut out, image::ImageFormat::Jpeg).map_err(|e| e.to_string())?;
        Ok((out.into_inner(), "image/jpeg"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_image_is_scaled_to_fit_and_garbage_is_refused() {
        let image = image::RgbImage::from_fn(1200, 600, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 0]));
        let mut png = Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let (thumbnail, mime) = make(png.get_ref(), 50_000_000).unwrap();
        assert_eq!(mime, "image/jpeg");
        let decoded = image::load_from_memory(&thumbnail).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (400, 200));
        assert!(make(png.get_ref(), 1000).is_err(), "over the pixel limit");
        assert!(make(b"\x89PNG\r\n\x1a\n not really", 50_000_000).is_err());
    }
}
