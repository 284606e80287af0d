//! How a post is shown: [`StreamPost`], the one type every stream serves and the cache keeps.

use platform::db::from_ms;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::posts::{FeedPost, PostFacts};

/// The author shown with a post.
#[derive(Debug, Serialize, ToSchema)]
pub struct Author {
    pub id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

/// A post in a stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamPost {
    pub id: String,
    pub author: Author,
    pub text: String,
    /// The language the author wrote in (ISO 639-1), when known.
    pub language: Option<String>,
    pub visibility: String,
    pub tags: Vec<String>,
    pub reply_to_id: Option<String>,
    /// The author of the post this one answers.
    pub reply_to_author_id: Option<String>,
    pub repost_of_id: Option<String>,
    pub media_ids: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    /// What the read rules decide by, typed (not served).
    #[serde(skip)]
    pub facts: PostFacts,
}

/// A post as streams serve it (shared: it is cached).
pub type Hydrated = std::sync::Arc<StreamPost>;

impl StreamPost {
    /// The view of `post` by the author with these names (absent until identity's event arrives).
    pub fn of(post: FeedPost, username: Option<String>, display_name: Option<String>) -> StreamPost {
        let facts = post.facts();
        StreamPost {
            id: post.id.to_string(),
            author: Author { id: post.author_id.to_string(), username, display_name },
            text: post.text,
            language: post.language,
            visibility: post.visibility.as_str().to_owned(),
            tags: post.tags,
            reply_to_id: post.reply_to_id.map(|id| id.to_string()),
            reply_to_author_id: post.reply_to_author_id.map(|id| id.to_string()),
            repost_of_id: post.repost_of_id.map(|id| id.to_string()),
            media_ids: post.media_ids,
            created_at: from_ms(post.created_at_ms),
            facts,
        }
    }
}

/// A post in the "for you" stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct RankedPost {
    #[serde(flatten)]
    #[schema(value_type = StreamPost)]
    pub post: Hydrated,
    /// The score's components, with `?explain=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<crate::domain::score::Explain>,
    /// Position in the snapshot, for the cursor.
    #[serde(skip)]
    pub position: usize,
}
