//! What the crawler tells the other services: sources become accounts (identity), their
//! entries become posts (content), and subscriptions made through the crawler's API become
//! follows (graph). The crawler never writes another service's tables.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

event_family! {
    /// The crawler's events.
    pub enum CrawlerEvent: "crawler.>", version 1 {
        /// A feed or site became a source: identity creates its account (kind `source`).
        SourceCreated(SourceProfile) = "crawler.source.created",
        /// The source's title, description or home page changed: identity updates the profile.
        SourceUpdated(SourceProfile) = "crawler.source.updated",
        /// New entries of one source, oldest first: content publishes each as a post by the
        /// source's account, all in one change.
        EntriesPublished(Entries) = "crawler.entries.published",
        /// Entries whose content changed: content edits their posts.
        EntriesRevised(Entries) = "crawler.entries.revised",
        /// Someone subscribed through the crawler's API: graph makes the follow.
        Subscribed(Subscription) = "crawler.subscription.created",
        /// Someone unsubscribed through the crawler's API: graph removes the follow.
        Unsubscribed(Subscription) = "crawler.subscription.deleted",
        /// The image a source names (a feed's icon or logo, a site's icon), fetched: content
        /// stores it as the source account's media, and identity makes it the avatar.
        AvatarFetched(SourceAvatar) = "crawler.avatar.fetched",
    }
}

/// The entry events alone (what content consumes).
pub const ENTRIES: &str = "crawler.entries.>";

/// Most entries in one event: a fetch's new entries travel in as few events as this allows,
/// so that a backfill is a few changes of content's, not one per entry.
pub const MAX_ENTRIES_PER_EVENT: usize = 50;
/// The source events alone (what identity consumes).
pub const SOURCES: &str = "crawler.source.>";
/// The avatar events alone (what content consumes).
pub const AVATARS: &str = "crawler.avatar.>";
/// Largest avatar image an event carries, in bytes (before base64).
pub const MAX_AVATAR_BYTES: usize = 256 * 1024;
/// The subscription events alone (what graph consumes).
pub const SUBSCRIPTIONS: &str = "crawler.subscription.>";

/// A source as its account shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceProfile {
    /// The account's id, chosen by the crawler.
    pub account_id: Uuid,
    /// The username the crawler proposes (derived from the host and the feed); identity adds
    /// a suffix when it is taken, and its `identity.user.registered` says the final one.
    pub username: String,
    pub display_name: String,
    /// The feed's description, as plain text.
    pub bio: String,
    /// The site the feed belongs to.
    pub home_url: Option<String>,
    pub feed_url: String,
}

/// A source's avatar image: small, so it travels in the event itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceAvatar {
    pub account_id: Uuid,
    /// Where the image was fetched from.
    pub url: String,
    /// What the server said it is (content decides from the bytes).
    pub media_type: Option<String>,
    /// The image, base64 (standard alphabet, padded); at most [`MAX_AVATAR_BYTES`] decoded.
    pub data: String,
}

/// Entries of one fetch, oldest first (at most [`MAX_ENTRIES_PER_EVENT`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entries {
    pub entries: Vec<Entry>,
}

/// An entry of a source, as a post shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The crawler's id of the entry: the same entry is always the same post.
    pub entry_id: Uuid,
    /// The source's account, the post's author.
    pub account_id: Uuid,
    /// The post's text: title, summary (plain text) and the link to the original, within the
    /// post length limit.
    pub text: String,
    /// The original article.
    pub url: Option<String>,
    pub language: Option<String>,
    /// When the source says it was published.
    pub published_at_ms: Option<i64>,
    /// Enclosures and media (podcast audio, images), by URL.
    pub attachments: Vec<Attachment>,
    /// An entry of another source with the same article (by canonical URL), published before:
    /// this one is shown as that post, reposted by this source, rather than as a second copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<Uuid>,
}

/// A file an entry refers to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attachment {
    pub url: String,
    pub media_type: Option<String>,
}

/// A subscriber and a source's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub user_id: Uuid,
    pub account_id: Uuid,
}
