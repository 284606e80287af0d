//! How posts are shown: [`PostView`], rendered for a viewer in a fixed number of queries.

use std::collections::HashMap;

use contracts::{PostId, Visibility};
use platform::{Principal, db::from_ms};
use serde::Serialize;
use text::Entities;
use utoipa::ToSchema;

use crate::{
    domain::{
        ContentError,
        posts::{Counts, Post},
    },
    store::{Store, posts},
};

/// The author as shown with a post, from content's copy of identity's user data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuthorView {
    pub id: String,
    /// Absent only in the moment before identity's event about a new user arrives.
    pub username: Option<String>,
    pub display_name: Option<String>,
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
    /// The alt text of the media that have one, by media id.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub media_descriptions: HashMap<String, String>,
    /// A source's post: the original article it was made from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin_url: Option<String>,
    /// A source's post: the files its entry refers to (podcast audio, images), by URL.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<contracts::crawler::Attachment>,
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

impl PostView {
    pub fn of(post: &Post, liked: Option<bool>, repost_of: Option<PostView>) -> PostView {
        PostView {
            id: post.id.to_string(),
            author: AuthorView {
                id: post.author_id.to_string(),
                username: post.username.clone(),
                display_name: post.display_name.clone(),
            },
            text: post.text.clone(),
            visibility: post.visibility,
            language: post.language.clone(),
            reply_to_id: post.reply_to_id.map(|id| id.to_string()),
            root_id: post.root_id.to_string(),
            repost_of: repost_of.map(Box::new),
            entities: post.entities.clone(),
            media_ids: post.media_ids.clone(),
            media_descriptions: HashMap::new(),
            origin_url: post.origin_url.clone(),
            attachments: post.attachments.clone(),
            counts: post.counts.clone(),
            liked,
            hidden: post.hidden,
            created_at: from_ms(post.created_at_ms),
            edited_at: post.edited_at_ms.map(from_ms),
        }
    }
}

/// Renders posts the viewer may see, in order: reposts with their original (a repost whose
/// original is gone or not for this viewer is left out), whether the viewer liked each, and the
/// alt text of their media. Four queries at most, whatever the number of posts.
pub async fn render(store: &Store, viewer: Option<&Principal>, rows: Vec<Post>) -> Result<Vec<PostView>, ContentError> {
    let mut wanted: Vec<PostId> = rows.iter().filter_map(|p| p.repost_of_id).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let originals: HashMap<PostId, Post> = if wanted.is_empty() {
        HashMap::new()
    } else {
        let found = posts::many(store, &wanted).await?;
        posts::visible_among(store, viewer, found).await?.into_iter().map(|p| (p.id, p)).collect()
    };
    let liked = match viewer {
        Some(viewer) => {
            let ids: Vec<PostId> = rows.iter().map(|p| p.id).chain(originals.keys().copied()).collect();
            Some(posts::liked_among(store, viewer.user_id, &ids).await?)
        }
        None => None,
    };
    let liked_of = |id: PostId| liked.as_ref().map(|set| set.contains(&id));
    let media: Vec<String> = rows.iter().chain(originals.values()).flat_map(|p| p.media_ids.iter().cloned()).collect();
    let described =
        if media.is_empty() { HashMap::new() } else { crate::store::media::descriptions(store, &media).await? };
    let with_descriptions = |mut view: PostView| {
        view.media_descriptions =
            view.media_ids.iter().filter_map(|id| Some((id.clone(), described.get(id)?.clone()))).collect();
        view
    };
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        let original = match row.repost_of_id {
            Some(id) => match originals.get(&id) {
                Some(original) => Some(with_descriptions(PostView::of(original, liked_of(original.id), None))),
                None => continue,
            },
            None => None,
        };
        views.push(with_descriptions(PostView::of(row, liked_of(row.id), original)));
    }
    Ok(views)
}

/// One post, rendered for `viewer`; a repost whose original is gone is no such post.
pub async fn render_one(store: &Store, viewer: Option<&Principal>, post: Post) -> Result<PostView, ContentError> {
    render(store, viewer, vec![post]).await?.pop().ok_or(ContentError::NoSuchPost)
}
