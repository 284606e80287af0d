//! The crawler's entries: each one a post by its source's account, a revision an edit; a
//! batch in one change. And sources' avatars, stored as their accounts' media.

use async_trait::async_trait;
use contracts::crawler::CrawlerEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use std::path::PathBuf;

use base64::Engine as _;
use platform::blobs::BlobStore;

use crate::{
    config::{ContentConfig, MediaConfig},
    store::{Store, crawled, media},
};

pub const CONSUMER: &str = "content.entries";
/// The crawler's events content needs.
pub const TOPICS: &[&str] = &[contracts::crawler::ENTRIES, contracts::crawler::AVATARS];

pub struct Entries {
    pub store: Store,
    pub limits: ContentConfig,
    pub blobs: BlobStore,
    pub media: MediaConfig,
    pub data_dir: PathBuf,
}

#[async_trait]
impl Ingest for Entries {
    type Family = CrawlerEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        self.store.writer()
    }

    async fn apply(&self, change: &mut Change, event: CrawlerEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            CrawlerEvent::EntriesPublished(batch) => {
                for entry in &batch.entries {
                    crawled::publish(&self.store, change, &self.limits, entry).await?;
                }
            }
            CrawlerEvent::EntriesRevised(batch) => {
                for entry in &batch.entries {
                    crawled::revise(&self.store, change, &self.limits, entry).await?;
                }
            }
            CrawlerEvent::AvatarFetched(avatar) => {
                let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&avatar.data) else {
                    tracing::warn!(account = %avatar.account_id, "an avatar that is not base64; ignored");
                    return Ok(());
                };
                let bytes = &bytes[..bytes.len().min(contracts::crawler::MAX_AVATAR_BYTES + 1)];
                if bytes.len() > contracts::crawler::MAX_AVATAR_BYTES
                    || !media::record_source_avatar(
                        &self.blobs,
                        &self.media,
                        &self.data_dir,
                        change,
                        avatar.account_id,
                        bytes,
                    )
                    .await?
                {
                    tracing::info!(account = %avatar.account_id, url = avatar.url, "a source's avatar is no image we keep");
                }
            }
            // Not subscribed to (see `TOPICS`).
            _ => {}
        }
        Ok(())
    }
}
