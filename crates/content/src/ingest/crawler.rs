//! The crawler's entries: each one a post by its source's account, a revision an edit; a
//! batch in one change.

use async_trait::async_trait;
use contracts::crawler::CrawlerEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{
    config::ContentConfig,
    store::{Store, crawled},
};

pub const CONSUMER: &str = "content.entries";
/// The crawler's events content needs.
pub const TOPICS: &[&str] = &[contracts::crawler::ENTRIES];

pub struct Entries {
    pub store: Store,
    pub limits: ContentConfig,
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
            // Not subscribed to (see `TOPICS`).
            _ => {}
        }
        Ok(())
    }
}
