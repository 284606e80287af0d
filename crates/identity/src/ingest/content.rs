//! Content's media events: who uploaded which image, and the avatars of sources.

use async_trait::async_trait;
use contracts::content::ContentEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::{media, sources};

pub const CONSUMER: &str = "identity.media";

pub struct Uploads(pub Writer);

#[async_trait]
impl Ingest for Uploads {
    type Family = ContentEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: ContentEvent, _: &Event) -> anyhow::Result<()> {
        if let ContentEvent::MediaUploaded(uploaded) = event {
            media::record(change, &uploaded.id, uploaded.owner_id, &uploaded.kind).await?;
            if uploaded.source_avatar && uploaded.kind == "image" {
                sources::set_avatar(change, uploaded.owner_id, &uploaded.id).await?;
            }
        }
        Ok(())
    }
}
