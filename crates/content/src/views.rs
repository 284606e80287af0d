//! How posts are shown, and who may see them.

use platform::{db::from_ms, ids::PostId};
use serde::{Deserialize, Serialize};
use sqlx::{Row, any::AnyRow};
use utoipa::ToSchema;

use crate::text::Entities;

/// Who may read a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone, and listed in public streams.
    #[default]
    Public,
    /// Everyone with the link, but not listed in public or tag streams.
    Unlisted,
    /// The author's followers (and the author).
    Followers,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
        }
    }

    pub fn parse(text: &str) -> Visibility {
        match text {
            "unlisted" => Visibility::Unlisted,
            "followers" => Visibility::Followers,
            _ => Visibility::Public,
        }
    }
}

/// The author as shown with a post, from content's copy of identity's user data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorView {
    pub id: String,
    /// Absent only in the moment before identity's event about a new user arrives.
    pub username: Option<String>,
    pub display_name: Option<String>,
}

/// Counters kept exact under concurrent requests.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Counts {
    pub replies: i64,
    pub reposts: i64,
    pub likes: i64,
}

/// A post as the API returns it. Ids are strings: 64-bit integers do not survive JavaScript.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostView {
    pub id: String,
    pub author: AuthorView,
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to_id: Option<String>,
    pub root_id: String,
    /// The reposted post, for a repost.
    #[schema(no_recursion)]
    pub repost_of: Option<Box<PostView>>,
    pub entities: Entities,
    pub media_ids: Vec<String>,
    pub counts: Counts,
    /// Whether the caller liked it (absent for anonymous callers).
    pub liked: Option<bool>,
    /// Whether a moderator hid it (only its author and moderators still see it).
    pub hidden: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub edited_at: Option<time::OffsetDateTime>,
}

/// The columns [`PostRow::from_row`] reads, joined with the author.
pub const POST_SELECT: &str = "SELECT p.id, p.author_id, p.text, p.visibility, p.language, p.reply_to_id, \
     p.reply_to_author_id, p.root_id, p.repost_of_id, p.entities, p.media_ids, p.replies_count, p.reposts_count, \
     p.likes_count, p.created_at_ms, p.edited_at_ms, p.hidden_at_ms, p.deleted_at_ms, u.username, u.display_name \
     FROM posts p LEFT JOIN known_users u ON u.id = p.author_id";

/// A post as stored.
#[derive(Debug, Clone)]
pub struct PostRow {
    pub id: PostId,
    pub author_id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to_id: Option<PostId>,
    pub reply_to_author_id: Option<String>,
    pub root_id: PostId,
    pub repost_of_id: Option<PostId>,
    pub entities: Entities,
    pub media_ids: Vec<String>,
    pub counts: Counts,
    pub created_at_ms: i64,
    pub edited_at_ms: Option<i64>,
    pub hidden: bool,
    pub deleted: bool,
}

fn post_id(raw: i64) -> Result<PostId, sqlx::Error> {
    PostId::from_u64(raw as u64).map_err(|e| sqlx::Error::Decode(e.into()))
}

impl PostRow {
    pub fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let optional_id = |name: &str| -> Result<Option<PostId>, sqlx::Error> {
            row.try_get::<Option<i64>, _>(name)?.map(post_id).transpose()
        };
        Ok(Self {
            id: post_id(row.try_get("id")?)?,
            author_id: row.try_get("author_id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            text: row.try_get("text")?,
            visibility: Visibility::parse(&row.try_get::<String, _>("visibility")?),
            language: row.try_get("language")?,
            reply_to_id: optional_id("reply_to_id")?,
            reply_to_author_id: row.try_get("reply_to_author_id")?,
            root_id: post_id(row.try_get("root_id")?)?,
            repost_of_id: optional_id("repost_of_id")?,
            entities: serde_json::from_str(&row.try_get::<String, _>("entities")?).unwrap_or_default(),
            media_ids: serde_json::from_str(&row.try_get::<String, _>("media_ids")?).unwrap_or_default(),
            counts: Counts {
                replies: row.try_get("replies_count")?,
                reposts: row.try_get("reposts_count")?,
                likes: row.try_get("likes_count")?,
            },
            created_at_ms: row.try_get("created_at_ms")?,
            edited_at_ms: row.try_get("edited_at_ms")?,
            hidden: row.try_get::<Option<i64>, _>("hidden_at_ms")?.is_some(),
            deleted: row.try_get::<Option<i64>, _>("deleted_at_ms")?.is_some(),
        })
    }

    pub fn view(&self, liked: Option<bool>, repost_of: Option<PostView>) -> PostView {
        PostView {
            id: self.id.to_string(),
            author: AuthorView {
                id: self.author_id.clone(),
                username: self.username.clone(),
                display_name: self.display_name.clone(),
            },
            text: self.text.clone(),
            visibility: self.visibility,
            language: self.language.clone(),
            reply_to_id: self.reply_to_id.map(|id| id.to_string()),
            root_id: self.root_id.to_string(),
            repost_of: repost_of.map(Box::new),
            entities: self.entities.clone(),
            media_ids: self.media_ids.clone(),
            counts: self.counts.clone(),
            liked,
            hidden: self.hidden,
            created_at: from_ms(self.created_at_ms),
            edited_at: self.edited_at_ms.map(from_ms),
        }
    }
}
