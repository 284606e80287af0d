//! Loading a synthetic network into the feed before a server starts, for the load generator:
//! the read model in bulk, and the timelines through the same fan-out as live posts
//! ([`Loader::fan_out`]), so that part is measured as it runs in production.

use std::{path::PathBuf, sync::Arc};

use contracts::{PostId, Visibility};
use platform::Runtime;
use timeline::embedded::EmbeddedTimelines;
use uuid::Uuid;

pub use crate::store::bulk::NewPost;
use crate::{
    Feed, TimelinesConfig,
    domain::{posts::FeedPost, timelines::Timeline},
    fanout,
    store::bulk,
};

/// The feed, opened for loading.
pub struct Loader {
    feed: Arc<Feed>,
    embedded: Option<(EmbeddedTimelines, PathBuf)>,
}

impl Loader {
    pub async fn open(runtime: &Runtime, config: &TimelinesConfig) -> anyhow::Result<Loader> {
        let (feed, embedded) = crate::open(runtime, config).await?;
        Ok(Loader { feed, embedded })
    }

    /// Authors: `(id, username)`.
    pub async fn authors(&self, authors: &[(Uuid, String)]) -> anyhow::Result<()> {
        Ok(bulk::authors(&self.feed.store, authors).await?)
    }

    /// Follows: `(follower, followee)`. Call [`Loader::recount_followers`] after the last batch.
    pub async fn follows(&self, follows: &[(Uuid, Uuid)]) -> anyhow::Result<()> {
        Ok(bulk::follows(&self.feed.store, follows).await?)
    }

    /// Recomputes every follower count from the follows (what decides push or pull).
    pub async fn recount_followers(&self) -> anyhow::Result<()> {
        Ok(bulk::recount_followers(&self.feed.store).await?)
    }

    /// When each user last read their home: `(user, unix ms)`.
    pub async fn readers(&self, readers: &[(Uuid, i64)]) -> anyhow::Result<()> {
        Ok(bulk::readers(&self.feed.store, readers).await?)
    }

    /// Public posts, with their tags, as content's events would have recorded them.
    pub async fn posts(&self, posts: &[NewPost]) -> anyhow::Result<()> {
        Ok(bulk::posts(&self.feed.store, posts).await?)
    }

    /// Puts a public post into its own timelines (its author's, the public one, its tags').
    pub async fn push_own(&self, post: &NewPost) -> anyhow::Result<()> {
        let feed_post = FeedPost {
            id: post.id,
            author_id: post.author,
            visibility: Visibility::Public,
            text: String::new(),
            language: None,
            tags: post.tags.clone(),
            reply_to_id: None,
            reply_to_author_id: None,
            repost_of_id: None,
            media_ids: Vec::new(),
            created_at_ms: post.id.unix_ms() as i64,
        };
        for timeline in Timeline::of(&feed_post) {
            self.feed.timelines.push(&[timeline.key()], post.id, timeline.cap(&self.feed.config)).await?;
        }
        Ok(())
    }

    /// Pushes a post into its recipients' home timelines: the production fan-out.
    pub async fn fan_out(&self, recipients: &[Uuid], post: PostId) -> anyhow::Result<()> {
        Ok(fanout::push_homes(self.feed.timelines.as_ref(), recipients, post, self.feed.config.cap).await?)
    }

    /// Saves the embedded timelines and closes the database.
    pub async fn finish(self) -> anyhow::Result<()> {
        if let Some((store, path)) = self.embedded {
            let target = path.clone();
            tokio::task::spawn_blocking(move || store.save(&target)).await??;
            // A clean stop, as `snapshot` ends one: the next start may trust what was saved.
            std::fs::remove_file(crate::running_marker(&path))?;
        }
        self.feed.store.db().close().await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the load generator seeds is what the server it starts next serves: the seed's
    /// timelines are a clean stop's snapshot, not a crashed process's.
    #[tokio::test]
    async fn a_seeded_network_starts_with_its_timelines() {
        let dir = tempfile::tempdir().unwrap();
        let config = platform::Config { data_dir: dir.path().to_owned(), ..Default::default() };
        let runtime = Runtime::new(Arc::new(config), Default::default()).await.unwrap();
        let timelines = TimelinesConfig::default();
        let reader = Uuid::from_u128(2);
        let post = PostId::new(contracts::ids::EPOCH_MS + 1_000, 1);
        let loader = Loader::open(&runtime, &timelines).await.unwrap();
        loader.fan_out(&[reader], post).await.unwrap();
        loader.finish().await.unwrap();

        let (feed, _) = crate::open(&runtime, &timelines).await.unwrap();
        let home = feed.timelines.page(&Timeline::Home(reader).key(), None, 10).await.unwrap();
        assert_eq!(home, [post], "the next start loads the seed's snapshot");
    }
}
