//! The blob port: media bytes in a local directory (the default) or any S3-compatible store
//! (Garage, MinIO, AWS S3, OSS), chosen by URL, through `object_store`.
//!
//! Blobs are immutable and content-addressed by their caller; this module only knows how to
//! reach the store and to check that it answers.

use std::{path::Path, sync::Arc};

use object_store::{ObjectStore, aws::AmazonS3Builder, local::LocalFileSystem, path::Path as ObjectPath};

/// Where media bytes live.
#[derive(Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    label: &'static str,
    /// The directory of a local store: finished uploads are renamed into it instead of copied.
    local_root: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStore").field("label", &self.label).finish()
    }
}

/// Why the blob store could not be opened. The message says what to fix.
#[derive(Debug, thiserror::Error)]
#[error("media.url: {0}")]
pub struct BlobConfigError(String);

impl BlobStore {
    /// Opens the store `url` names: empty for `<data_dir>/media`, `file:///dir`, or
    /// `s3://bucket?endpoint=…&region=…` with `credentials` (access key id and secret) or, without
    /// them, the `AWS_*` variables.
    pub fn open(url: &str, credentials: Option<(&str, &str)>, data_dir: &Path) -> Result<BlobStore, BlobConfigError> {
        if url.is_empty() || url.starts_with("file://") {
            let dir = url
                .strip_prefix("file://")
                .filter(|d| !d.is_empty())
                .map_or_else(|| data_dir.join("media"), Into::into);
            std::fs::create_dir_all(&dir)
                .map_err(|e| BlobConfigError(format!("cannot create media directory {}: {e}", dir.display())))?;
            let store = LocalFileSystem::new_with_prefix(&dir)
                .map_err(|e| BlobConfigError(format!("cannot use media directory {}: {e}", dir.display())))?;
            return Ok(BlobStore { store: Arc::new(store), label: "media.local", local_root: Some(dir) });
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(BlobConfigError(format!(
                "{url:?}: expected empty, file:///DIR or s3://BUCKET?endpoint=URL&region=R"
            )));
        };
        let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket).with_virtual_hosted_style_request(false);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("endpoint", endpoint)) => {
                    builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
                }
                Some(("region", region)) => builder = builder.with_region(region),
                _ => {
                    return Err(BlobConfigError(format!("unknown parameter {pair:?}; expected endpoint= and region=")));
                }
            }
        }
        if let Some((key_id, secret)) = credentials {
            builder = builder.with_access_key_id(key_id).with_secret_access_key(secret);
        }
        let store = builder.build().map_err(|e| BlobConfigError(e.to_string()))?;
        Ok(BlobStore { store: Arc::new(store), label: "media.s3", local_root: None })
    }

    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn local_root(&self) -> Option<&Path> {
        self.local_root.as_deref()
    }

    pub fn label(&self) -> &'static str {
        self.label
    }

    /// Whether the store answers, for `/readyz`: a listing of an empty prefix must succeed.
    pub async fn ping(&self) -> Result<(), String> {
        use futures::TryStreamExt;
        let mut listing = self.store.list(Some(&ObjectPath::from("riffle-readiness")));
        listing.try_next().await.map(|_| ()).map_err(|e| e.to_string())
    }
}
