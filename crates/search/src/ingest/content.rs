//! Content's posts: a post created or edited is (re)indexed, one deleted or hidden leaves the
//! index. Reposts are not indexed (their text is the original's, found already). The index
//! is written after the consumer's change commits; the committer makes it searchable within
//! a fifth of a second.

use std::sync::Arc;

use async_trait::async_trait;
use contracts::content::{ContentEvent, PostSummary};
use platform::{Change, Writer, events::Event, ingest::Ingest};

use crate::{Indexes, index::PostDoc};

pub const CONSUMER: &str = "search.posts";

pub struct Posts {
    pub writer: Writer,
    pub indexes: Arc<Indexes>,
}

pub enum IndexChange {
    Upsert(PostDoc),
    Remove(u64),
    Nothing,
}

pub fn doc(post: &PostSummary) -> PostDoc {
    PostDoc {
        id: post.id.get(),
        author_id: post.author_id.to_string(),
        text: post.text.clone(),
        tags: post.tags.clone(),
        language: post.language.clone(),
        visibility: post.visibility.as_str().to_owned(),
        has_media: !post.media_ids.is_empty(),
        created_at_ms: post.created_at_ms,
    }
}

#[async_trait]
impl Ingest for Posts {
    type Family = ContentEvent;
    type Committed = IndexChange;

    fn writer(&self) -> &Writer {
        &self.writer
    }

    async fn apply(&self, _: &mut Change, event: ContentEvent, _: &Event) -> anyhow::Result<IndexChange> {
        Ok(match event {
            ContentEvent::PostCreated(snapshot) | ContentEvent::PostEdited(snapshot)
                if snapshot.post.repost_of_id.is_none() =>
            {
                IndexChange::Upsert(doc(&snapshot.post))
            }
            ContentEvent::PostDeleted(post) | ContentEvent::PostHidden(post) => IndexChange::Remove(post.id.get()),
            _ => IndexChange::Nothing,
        })
    }

    fn committed(&self, after: IndexChange) {
        let written = match after {
            IndexChange::Upsert(post) => self.indexes.posts.upsert(&post),
            IndexChange::Remove(id) => {
                self.indexes.posts.remove(id);
                Ok(())
            }
            IndexChange::Nothing => return,
        };
        match written {
            Ok(()) => self.indexes.dirty.notify_one(),
            Err(err) => tracing::error!(error = format!("{err:#}"), "cannot write to the search index"),
        }
    }
}
