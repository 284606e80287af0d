//! The one shape of a consumer: decode the event into its family (skipping what this consumer
//! cannot know), open a change, claim the event in the inbox (a redelivered event is skipped),
//! apply it, commit, and only then act on what must follow a commit (caches, live streams).
//! A service's consumer implements [`Ingest`]; [`handler`] makes it an [`EventHandler`].

use std::sync::Arc;

use async_trait::async_trait;
use contracts::EventFamily;

use crate::{
    change::{Change, Writer},
    events::{Event, EventHandler},
};

/// A consumer of one event family whose effects are a change of its service's database.
#[async_trait]
pub trait Ingest: Send + Sync + 'static {
    /// The events it consumes.
    type Family: EventFamily + Send + 'static;
    /// What [`Ingest::apply`] leaves to do once the change is committed.
    type Committed: Send;

    /// The database its changes go to.
    fn writer(&self) -> &Writer;

    /// Applies `event` (whose envelope is `envelope`) inside `change`.
    async fn apply(
        &self,
        change: &mut Change,
        event: Self::Family,
        envelope: &Event,
    ) -> anyhow::Result<Self::Committed>;

    /// Runs after the commit, with what `apply` left (dropping caches, waking live streams).
    fn committed(&self, _after: Self::Committed) {}
}

struct Handler<I> {
    consumer: String,
    ingest: I,
}

/// `ingest` as the handler of the subscription named `consumer`.
pub fn handler<I: Ingest>(consumer: impl Into<String>, ingest: I) -> Arc<dyn EventHandler> {
    Arc::new(Handler { consumer: consumer.into(), ingest })
}

#[async_trait]
impl<I: Ingest> EventHandler for Handler<I> {
    async fn handle(&self, envelope: &Event) -> anyhow::Result<()> {
        let Some(event) = envelope.decode::<I::Family>(&self.consumer)? else { return Ok(()) };
        let mut change = self.ingest.writer().begin().await?;
        if !change.claim(&self.consumer, envelope).await? {
            return Ok(());
        }
        let after = self.ingest.apply(&mut change, event, envelope).await?;
        change.commit().await?;
        self.ingest.committed(after);
        Ok(())
    }
}
