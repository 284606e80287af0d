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

impl ContentEvent {
    /// The account the event is about: the post's author (of a like too: the liked post's), a
    /// file's owner; none for reports.
    pub fn author(&self) -> Option<Uuid> {
        match self {
            Self::PostCreated(snapshot) | Self::PostEdited(snapshot) => Some(snapshot.post.author_id),
            Self::PostDeleted(post) | Self::PostHidden(post) => Some(post.author_id),
            Self::PostLiked(like) | Self::PostUnliked(like) => Some(like.author_id),
            Self::MediaUploaded(media) => Some(media.owner_id),
            Self::ReportFiled(_) | Self::ReportResolved(_) => None,
        }
    }

    /// [`ContentEvent::author`] read from an event's payload as it travels, without decoding
    /// it: the key consumers keep each author's events in order by (one post's creation,
    /// edits, likes and removal all carry its author) while handling authors side by side.
    pub fn author_in<'a>(topic: &str, payload: &'a serde_json::Value) -> Option<&'a str> {
        let author = match topic {
            "content.post.created" | "content.post.edited" => payload.get("post")?.get("author_id"),
            "content.media.uploaded" => payload.get("owner_id"),
            _ => payload.get("author_id"),
        };
        author?.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::family::EventFamily;

    #[test]
    fn the_author_read_from_a_payload_is_the_events_author() {
        let author = Uuid::from_u128(7);
        let post = PostId::new(crate::ids::EPOCH_MS + 1, 1);
        let summary = PostSummary {
            id: post,
            author_id: author,
            text: "hi".into(),
            visibility: Visibility::Public,
            language: None,
            reply_to_id: None,
            reply_to_author_id: None,
            root_id: post,
            repost_of_id: None,
            repost_of_author_id: None,
            tags: Vec::new(),
            mentions: Vec::new(),
            links: Vec::new(),
            media_ids: Vec::new(),
            created_at_ms: 0,
        };
        let like = Like { post_id: post, user_id: Uuid::from_u128(9), author_id: author, tags: Vec::new() };
        let reference = PostRef { id: post, author_id: author };
        let report = Report { report_id: "r".into(), post_id: post, reporter_id: author, reason: "spam".into() };
        let media = MediaRef {
            id: "m".into(),
            owner_id: author,
            kind: "image".into(),
            source_avatar: false,
            mime: None,
            size: None,
        };
        let events = [
            ContentEvent::MediaUploaded(media),
            ContentEvent::PostCreated(PostSnapshot { post: summary.clone() }),
            ContentEvent::PostEdited(PostSnapshot { post: summary }),
            ContentEvent::PostDeleted(reference.clone()),
            ContentEvent::PostHidden(reference),
            ContentEvent::PostLiked(like.clone()),
            ContentEvent::PostUnliked(like),
            ContentEvent::ReportFiled(report),
        ];
        for event in events {
            let payload = event.to_payload();
            let read = ContentEvent::author_in(event.topic(), &payload).map(|a| a.parse::<Uuid>().unwrap());
            assert_eq!(read, event.author(), "{}", event.topic());
        }
        let topics: Vec<&str> = ContentEvent::ALL.to_vec();
        assert_eq!(topics.len(), 9, "a new topic needs a case in `author` and in this test");
    }
}
