//! What content tells the other services about posts and reactions.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PostId, Visibility};

event_family! {
    /// Content's events.
    pub enum ContentEvent: "content.>", version 1 {
        /// A new post, reply or repost.
        PostCreated(PostSnapshot) = "content.post.created",
        /// A post's text changed; the snapshot is the post after the edit.
        PostEdited(PostSnapshot) = "content.post.edited",
        /// A post is gone for everyone.
        PostDeleted(PostRef) = "content.post.deleted",
        /// A moderator hid a post: only its author still sees it.
        PostHidden(PostRef) = "content.post.hidden",
        PostLiked(Like) = "content.post.liked",
        PostUnliked(Like) = "content.post.unliked",
        /// A file was uploaded (and may be attached to a post or used as an avatar).
        MediaUploaded(MediaRef) = "content.media.uploaded",
        /// Someone reported a post to the moderators.
        ReportFiled(Report) = "content.report.filed",
        /// A moderator resolved a report (one event per report closed).
        ReportResolved(ReportOutcome) = "content.report.resolved",
    }
}

/// A report of a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub report_id: String,
    pub post_id: PostId,
    pub reporter_id: Uuid,
    /// Why, as content's `Reason` spells it (`spam`, `harassment`, …).
    pub reason: String,
}

/// How a report was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportOutcome {
    pub report_id: String,
    pub post_id: PostId,
    pub reporter_id: Uuid,
    /// `dismissed`, `hidden` or `removed`.
    pub resolution: String,
}

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub id: String,
    pub owner_id: Uuid,
    /// `image`, `video`, `audio` or `document`.
    pub kind: String,
    /// The avatar a source's feed names (from `crawler.avatar.fetched`): identity makes it the
    /// source account's avatar.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub source_avatar: bool,
    /// Added in version 1 (absent in older events): the media type and size in bytes, for
    /// what describes media without fetching it (feeds' enclosures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// The media events alone.
pub const MEDIA: &str = "content.media.>";
/// The post events alone (what search consumes).
pub const POSTS: &str = "content.post.>";

/// A post as it is after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostSnapshot {
    pub post: PostSummary,
}

/// What other services learn about a post: enough to keep their own read models (feed
/// timelines, the search index) without calling back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostSummary {
    #[schema(value_type = u64)]
    pub id: PostId,
    pub author_id: Uuid,
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    #[schema(value_type = Option<u64>)]
    pub reply_to_id: Option<PostId>,
    pub reply_to_author_id: Option<Uuid>,
    /// The thread's first post (the post itself when it starts one).
    #[schema(value_type = u64)]
    pub root_id: PostId,
    #[schema(value_type = Option<u64>)]
    pub repost_of_id: Option<PostId>,
    pub repost_of_author_id: Option<Uuid>,
    /// Normalized hashtags, without `#`.
    pub tags: Vec<String>,
    /// Usernames, without `@`.
    pub mentions: Vec<String>,
    pub links: Vec<String>,
    pub media_ids: Vec<String>,
    pub created_at_ms: i64,
}

/// A post that an event removes or hides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostRef {
    pub id: PostId,
    pub author_id: Uuid,
}

/// A like given or taken back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Like {
    pub post_id: PostId,
    pub user_id: Uuid,
    /// The liked post's author.
    pub author_id: Uuid,
    /// The liked post's hashtags (what the liker shows interest in).
    pub tags: Vec<String>,
}
