//! The parts of the API's answers the pages show. Unknown fields are ignored, so the API can
//! grow without breaking the pages.

use serde::Deserialize;
use time::OffsetDateTime;

/// One page of a list.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Author {
    pub id: String,
    pub username: Option<String>,
    pub display_name: Option<String>,
}

impl Author {
    pub fn name(&self) -> &str {
        self.display_name.as_deref().or(self.username.as_deref()).unwrap_or("?")
    }
}

/// A post as streams and the post page show it (the stream's fields, and the post page's
/// counts when the API gives them).
#[derive(Debug, Clone, Deserialize)]
pub struct Post {
    pub id: String,
    pub author: Author,
    pub text: String,
    pub visibility: String,
    #[serde(default)]
    pub media_ids: Vec<String>,
    /// Alt text by media id (from content's view of the post).
    #[serde(default)]
    pub media_descriptions: std::collections::HashMap<String, String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub reply_to_id: Option<String>,
    pub repost_of_id: Option<String>,
    pub counts: Option<Counts>,
    pub liked: Option<bool>,
    pub reposted: Option<bool>,
    pub explain: Option<Explain>,
}

/// What content adds to a stream's post: its counts and whether the reader liked it.
#[derive(Debug, Clone, Deserialize)]
pub struct Standing {
    pub id: String,
    pub counts: Counts,
    pub liked: Option<bool>,
    #[serde(default)]
    pub media_descriptions: std::collections::HashMap<String, String>,
}

impl Page<Post> {
    /// Takes each post's counts and like from `standings` (posts without one keep none).
    pub fn with_standings(mut self, standings: Vec<Standing>) -> Self {
        for post in &mut self.items {
            if let Some(standing) = standings.iter().find(|s| s.id == post.id) {
                post.counts = Some(standing.counts.clone());
                post.liked = standing.liked;
                post.media_descriptions.clone_from(&standing.media_descriptions);
            }
        }
        self
    }

    /// The ids to ask content about, comma-separated.
    pub fn ids(&self) -> String {
        self.items.iter().map(|p| p.id.as_str()).collect::<Vec<_>>().join(",")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Counts {
    pub replies: i64,
    pub likes: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Explain {
    pub score: f64,
    #[serde(default)]
    pub reasons: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Context {
    pub ancestors: Vec<Post>,
    pub descendants: Vec<Post>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub role: String,
    pub avatar_media_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub email: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Relationship {
    pub following: bool,
    pub followed_by: bool,
    pub blocking: bool,
    pub muting: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Edge {
    pub username: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub id: String,
    pub kind: String,
    pub count: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub latest_at: OffsetDateTime,
    pub post_id: Option<String>,
    pub sample_accounts: Vec<Account>,
    pub unread: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Found {
    Post {
        id: String,
        snippet: String,
        #[serde(with = "time::serde::rfc3339")]
        created_at: OffsetDateTime,
    },
    Person {
        username: String,
        display_name: String,
        followers: i64,
    },
    Tag {
        name: String,
        posts: i64,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct Source {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub feed_url: String,
    pub home_url: Option<String>,
    pub enabled: bool,
    pub entries: i64,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_agent: String,
    #[serde(with = "time::serde::rfc3339")]
    pub last_used_at: OffsetDateTime,
    pub current: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportItem {
    pub id: String,
    pub post_id: String,
    pub reason: String,
    pub comment: String,
    pub status: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Media {
    pub id: String,
}
