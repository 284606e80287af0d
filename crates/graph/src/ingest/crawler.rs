//! Subscriptions made through the crawler's API: each is a follow of the source's account, as
//! if the subscriber had followed it here (and refused the same way when a block stands between).

use async_trait::async_trait;
use contracts::crawler::CrawlerEvent;
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{
    domain::GraphError,
    store::{Store, edges},
};

pub const CONSUMER: &str = "graph.subscriptions";

pub struct Subscriptions(pub Store);

#[async_trait]
impl Ingest for Subscriptions {
    type Family = CrawlerEvent;
    type Committed = ();

    fn writer(&self) -> &Writer {
        &self.0
    }

    async fn apply(&self, change: &mut Change, event: CrawlerEvent, _: &Event) -> anyhow::Result<()> {
        let (subscription, follow) = match event {
            CrawlerEvent::Subscribed(s) => (s, true),
            CrawlerEvent::Unsubscribed(s) => (s, false),
            // Not subscribed to (see `contracts::crawler::SUBSCRIPTIONS`).
            _ => return Ok(()),
        };
        match edges::follow_in(&self.0, change, subscription.user_id, subscription.account_id, follow).await {
            // A block made meanwhile wins over the subscription, as over any follow.
            Ok(()) | Err(GraphError::BlockedByYou | GraphError::BlockedByThem) => Ok(()),
            Err(other) => Err(other.into()),
        }
    }
}
