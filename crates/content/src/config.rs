//! Content's sections of the configuration: `[content]` (posts) and `[media]` (uploads).

use serde::{Deserialize, Serialize};

use platform::config::ConfigError;

/// `[content]`: what a post may hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentConfig {
    /// Longest post, in Unicode characters (not bytes).
    pub max_post_chars: usize,
    /// Most media attachments on one post.
    pub max_media_per_post: usize,
    /// Most hashtags in one post (each is a timeline to write).
    pub max_tags_per_post: usize,
    /// Most mentions in one post (each is someone notified).
    pub max_mentions_per_post: usize,
    /// Most links in one post.
    pub max_links_per_post: usize,
    /// This process's node number in post ids (0 to 255), unique among the processes that run
    /// content at the same time. Unset: leased from content's database at start (see
    /// `contracts::ids`).
    pub node_id: Option<u8>,
}

impl Default for ContentConfig {
    fn default() -> Self {
        Self {
            max_post_chars: 500,
            max_media_per_post: 4,
            max_tags_per_post: 10,
            max_mentions_per_post: 10,
            max_links_per_post: 10,
            node_id: None,
        }
    }
}

/// `[media]`: where uploads go and how large they may be.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Empty: `<data_dir>/media`. `file:///DIR`, or `s3://BUCKET?endpoint=URL&region=REGION` for
    /// any S3-compatible store.
    pub url: String,
    /// S3 credentials; empty means the `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` variables.
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    pub max_image_bytes: u64,
    pub max_video_bytes: u64,
    pub max_audio_bytes: u64,
    pub max_document_bytes: u64,
    /// Images with more pixels are refused (decompression bombs).
    pub max_image_pixels: u64,
    /// Uploads not attached to a post within this time are deleted (checked at start and hourly).
    pub unattached_ttl_secs: u64,
    /// Bytes one user's media and unfinished uploads may take in all; 0: no quota.
    pub quota_bytes_per_user: u64,
    /// Resumable uploads one user may have unfinished at once.
    pub max_uploads_in_progress: usize,
}

impl Default for MediaConfig {
    fn default() -> Self {
        const MIB: u64 = 1024 * 1024;
        Self {
            url: String::new(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            max_image_bytes: 20 * MIB,
            max_video_bytes: 2048 * MIB,
            max_audio_bytes: 200 * MIB,
            max_document_bytes: 50 * MIB,
            max_image_pixels: 50_000_000,
            unattached_ttl_secs: 24 * 3600,
            quota_bytes_per_user: 10 * 1024 * MIB,
            max_uploads_in_progress: 4,
        }
    }
}

impl ContentConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=100_000).contains(&self.max_post_chars) {
            return Err(ConfigError::key("content.max_post_chars", self.max_post_chars, "must be 1 to 100000"));
        }
        if self.max_media_per_post > 16 {
            return Err(ConfigError::key("content.max_media_per_post", self.max_media_per_post, "must be 0 to 16"));
        }
        for (key, value) in [
            ("content.max_tags_per_post", self.max_tags_per_post),
            ("content.max_mentions_per_post", self.max_mentions_per_post),
            ("content.max_links_per_post", self.max_links_per_post),
        ] {
            if value > 100 {
                return Err(ConfigError::key(key, value, "must be 0 to 100"));
            }
        }
        Ok(())
    }
}

impl MediaConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.url.is_empty() || self.url.starts_with("file://") || self.url.starts_with("s3://")) {
            return Err(ConfigError::key(
                "media.url",
                &self.url,
                "expected empty, file:///DIR or s3://BUCKET?endpoint=URL&region=R",
            ));
        }
        if self.max_uploads_in_progress == 0 {
            return Err(ConfigError::key("media.max_uploads_in_progress", 0, "must be at least 1"));
        }
        Ok(())
    }

    /// The same, with the secret replaced by `***`, for `riffle config`.
    pub fn redacted(&self) -> MediaConfig {
        let mut shown = self.clone();
        if !shown.s3_secret_access_key.is_empty() {
            shown.s3_secret_access_key = "***".into();
        }
        shown
    }

    /// The S3 credentials, when configured.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        (!self.s3_access_key_id.is_empty()).then_some((&self.s3_access_key_id, &self.s3_secret_access_key))
    }
}
