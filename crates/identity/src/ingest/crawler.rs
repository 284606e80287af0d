//! The crawler's sources: each becomes an account of kind `source`.

use async_trait::async_trait;
use contracts::crawler::CrawlerEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::store::sources;

pub const CONSUMER: &str = "identity.sources";

pub struct Sources(pub Writer);

#[async_trait]
impl Ingest for Sources {
    type Family = CrawlerEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: CrawlerEvent, _: &Event) -> anyhow::Result<()> {
        match event {
            CrawlerEvent::SourceCreated(source) => sources::create(change, &source).await?,
            CrawlerEvent::SourceUpdated(source) => sources::update(change, &source).await?,
            // Not subscribed to (see `contracts::crawler::SOURCES`).
            _ => {}
        }
        Ok(())
    }
}
