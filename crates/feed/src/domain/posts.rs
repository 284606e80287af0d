//! What the feed keeps of a post: its own row, made from content's event (never content's
//! payload as such: a renamed field of the contract fails to compile here, not silently).

use contracts::{PostId, Visibility, content::PostSummary};
use uuid::Uuid;

/// A post as the feed stores and serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPost {
    pub id: PostId,
    pub author_id: Uuid,
    pub visibility: Visibility,
    pub text: String,
    pub language: Option<String>,
    pub tags: Vec<String>,
    pub reply_to_id: Option<PostId>,
    /// The author of the post this one answers (for the home rule).
    pub reply_to_author_id: Option<Uuid>,
    pub repost_of_id: Option<PostId>,
    pub media_ids: Vec<String>,
    pub created_at_ms: i64,
}

impl From<&PostSummary> for FeedPost {
    fn from(post: &PostSummary) -> Self {
        FeedPost {
            id: post.id,
            author_id: post.author_id,
            visibility: post.visibility,
            text: post.text.clone(),
            language: post.language.clone(),
            tags: post.tags.clone(),
            reply_to_id: post.reply_to_id,
            reply_to_author_id: post.reply_to_author_id,
            repost_of_id: post.repost_of_id,
            media_ids: post.media_ids.clone(),
            created_at_ms: post.created_at_ms,
        }
    }
}

/// What the read rules look at in a post: who wrote it, who may see it, whom it answers, its
/// tags. Kept with every hydrated post, so that streams decide per reader without a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFacts {
    pub id: PostId,
    pub author_id: Uuid,
    pub visibility: Visibility,
    pub reply_to_author_id: Option<Uuid>,
    pub tags: Vec<String>,
}

/// The engagement counters the feed keeps per post (for ranking).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Likes,
    Reposts,
    Replies,
}

impl Counter {
    pub fn column(self) -> &'static str {
        match self {
            Counter::Likes => "likes",
            Counter::Reposts => "reposts",
            Counter::Replies => "replies",
        }
    }
}

impl FeedPost {
    pub fn facts(&self) -> PostFacts {
        PostFacts {
            id: self.id,
            author_id: self.author_id,
            visibility: self.visibility,
            reply_to_author_id: self.reply_to_author_id,
            tags: self.tags.clone(),
        }
    }

    /// The counter this post adds to on the post it reposts or answers.
    pub fn engages(&self) -> Option<(Counter, PostId)> {
        match (self.repost_of_id, self.reply_to_id) {
            (Some(original), _) => Some((Counter::Reposts, original)),
            (None, Some(parent)) => Some((Counter::Replies, parent)),
            (None, None) => None,
        }
    }

    /// A plain public post, for tests.
    #[cfg(test)]
    pub fn example() -> FeedPost {
        FeedPost {
            id: PostId::new(contracts::ids::EPOCH_MS + 1_000, 1),
            author_id: Uuid::from_u128(1),
            visibility: Visibility::Public,
            text: "hello".into(),
            language: None,
            tags: vec![],
            reply_to_id: None,
            reply_to_author_id: None,
            repost_of_id: None,
            media_ids: vec![],
            created_at_ms: contracts::ids::EPOCH_MS as i64 + 1_000,
        }
    }
}
