//! Posts: what one is, what a new one must satisfy, and who may see it.

use contracts::{PostId, Role, Visibility, content::PostSummary, crawler::Attachment};

use crate::config::ContentConfig;
use platform::{Principal, http::FieldError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use text::Entities;

use super::ContentError;

/// Counters kept exact under concurrent requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    pub replies: i64,
    pub reposts: i64,
    pub likes: i64,
}

/// A post as stored, with its author as content knows them.
#[derive(Debug, Clone)]
pub struct Post {
    pub id: PostId,
    pub author_id: Uuid,
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to_id: Option<PostId>,
    pub reply_to_author_id: Option<Uuid>,
    pub root_id: PostId,
    pub repost_of_id: Option<PostId>,
    pub entities: Entities,
    pub media_ids: Vec<String>,
    /// A source's post: the original article, and the files it refers to.
    pub origin_url: Option<String>,
    pub attachments: Vec<Attachment>,
    pub counts: Counts,
    pub created_at_ms: i64,
    pub edited_at_ms: Option<i64>,
    pub hidden: bool,
    pub deleted: bool,
}

impl Post {
    /// What other services learn about the post (`repost_of_author_id` for a repost).
    pub fn summary(&self, repost_of_author_id: Option<Uuid>) -> PostSummary {
        PostSummary {
            id: self.id,
            author_id: self.author_id,
            text: self.text.clone(),
            visibility: self.visibility,
            language: self.language.clone(),
            reply_to_id: self.reply_to_id,
            reply_to_author_id: self.reply_to_author_id,
            root_id: self.root_id,
            repost_of_id: self.repost_of_id,
            repost_of_author_id,
            tags: self.entities.tags.clone(),
            mentions: self.entities.mentions.clone(),
            links: self.entities.links.clone(),
            media_ids: self.media_ids.clone(),
            created_at_ms: self.created_at_ms,
        }
    }

    pub fn is_by(&self, user: Uuid) -> bool {
        self.author_id == user
    }
}

/// Whether a viewer may read a post, as far as the post alone tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Granted,
    Denied,
    /// Only if the viewer follows the author (a followers-only post).
    IfFollower,
}

/// How a viewer and a post's author stand, by blocks (from graph's events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocks {
    /// The viewer blocks the author.
    pub viewer_blocks_author: bool,
    /// The author blocks the viewer.
    pub author_blocks_viewer: bool,
}

/// Who may read `post`: nobody once deleted; only its author and moderators once hidden;
/// everyone for public and unlisted posts; the author, moderators and followers for
/// followers-only posts. Blocks forbid: a blocker sees nothing of whom they block, and the
/// blocked sees none of the blocker's followers-only posts. Anything a viewer may not read is
/// answered as if it did not exist.
pub fn access(viewer: Option<&Principal>, post: &Post, blocks: Blocks) -> Access {
    if post.deleted {
        return Access::Denied;
    }
    let is_author = viewer.is_some_and(|v| post.is_by(v.user_id));
    let is_moderator = viewer.is_some_and(|v| v.role >= Role::Moderator);
    if post.hidden && !is_author && !is_moderator {
        return Access::Denied;
    }
    if blocks.viewer_blocks_author && !is_moderator {
        return Access::Denied;
    }
    match post.visibility {
        Visibility::Public | Visibility::Unlisted => Access::Granted,
        Visibility::Followers if is_author || is_moderator => Access::Granted,
        Visibility::Followers if blocks.author_blocks_viewer => Access::Denied,
        Visibility::Followers if viewer.is_some() => Access::IfFollower,
        Visibility::Followers => Access::Denied,
    }
}

/// Whether a user may reply to, like or repost a post of an author they stand with as `blocks`
/// says: not when either blocks the other. The refusal says why.
pub fn may_interact(blocks: Blocks) -> Result<(), ContentError> {
    if blocks.author_blocks_viewer {
        return Err(ContentError::Blocked("the author of this post blocks you"));
    }
    if blocks.viewer_blocks_author {
        return Err(ContentError::Blocked("you block the author of this post; unblock them first"));
    }
    Ok(())
}

/// A validated new post.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub reply_to: Option<PostId>,
    pub media_ids: Vec<String>,
}

/// Checks a post's text against `limits` (its length, and how many hashtags, mentions and links
/// it holds: each tag is a timeline, each mention a notification) and its language; collects
/// every problem.
pub fn check_text(limits: &ContentConfig, text: &str, language: Option<&str>, errors: &mut Vec<FieldError>) {
    let max_chars = limits.max_post_chars;
    let count = text::char_count(text);
    if text.trim().is_empty() {
        errors.push(FieldError::new("text", "must not be empty"));
    } else if count > max_chars {
        errors.push(FieldError::new("text", format!("is {count} characters; the limit is {max_chars}")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errors.push(FieldError::new("text", "must not contain control characters"));
    }
    let entities = text::extract(text);
    for (what, found, cap) in [
        ("hashtags", entities.tags.len(), limits.max_tags_per_post),
        ("mentions", entities.mentions.len(), limits.max_mentions_per_post),
        ("links", entities.links.len(), limits.max_links_per_post),
    ] {
        if found > cap {
            errors.push(FieldError::new("text", format!("has {found} {what}; a post may have at most {cap}")));
        }
    }
    if let Some(language) = language {
        let valid = !language.is_empty()
            && language.len() <= 35
            && language.split('-').enumerate().all(|(i, part)| {
                let ok_len = if i == 0 { (2..=3).contains(&part.len()) } else { (1..=8).contains(&part.len()) };
                ok_len && part.chars().all(|c| c.is_ascii_alphanumeric())
            });
        if !valid {
            errors.push(FieldError::new("language", "must be a language tag such as `en` or `zh-Hans`"));
        }
    }
}

/// How far up a thread the ancestors are followed.
pub const MAX_DEPTH: usize = 256;

/// A post's place in its thread, from the thread's posts: what it answers, from the thread's
/// first post down to its parent, and every reply below it, depth first, oldest first.
pub fn around<'a>(post: &Post, thread: &'a [Post]) -> (Vec<&'a Post>, Vec<&'a Post>) {
    let by_id: std::collections::HashMap<PostId, &Post> = thread.iter().map(|p| (p.id, p)).collect();
    let mut ancestors = Vec::new();
    let mut cursor = post.reply_to_id;
    while let Some(id) = cursor.filter(|_| ancestors.len() < MAX_DEPTH) {
        let Some(parent) = by_id.get(&id) else { break };
        cursor = parent.reply_to_id;
        ancestors.push(*parent);
    }
    ancestors.reverse();

    let mut children: std::collections::HashMap<PostId, Vec<&Post>> = std::collections::HashMap::new();
    for reply in thread {
        if let Some(parent) = reply.reply_to_id {
            children.entry(parent).or_default().push(reply);
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|p| p.id);
    }
    let mut descendants = Vec::new();
    let mut stack: Vec<&Post> = children.get(&post.id).map(|c| c.iter().rev().copied().collect()).unwrap_or_default();
    while let Some(reply) = stack.pop() {
        descendants.push(reply);
        if let Some(grandchildren) = children.get(&reply.id) {
            stack.extend(grandchildren.iter().rev());
        }
    }
    (ancestors, descendants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(visibility: Visibility, hidden: bool, deleted: bool) -> Post {
        let id = PostId::new(contracts::ids::EPOCH_MS + 1, 1);
        Post {
            id,
            author_id: Uuid::from_u128(1),
            username: None,
            display_name: None,
            text: "x".into(),
            visibility,
            language: None,
            reply_to_id: None,
            reply_to_author_id: None,
            root_id: id,
            repost_of_id: None,
            entities: Entities::default(),
            media_ids: vec![],
            origin_url: None,
            attachments: vec![],
            counts: Counts { replies: 0, reposts: 0, likes: 0 },
            created_at_ms: 0,
            edited_at_ms: None,
            hidden,
            deleted,
        }
    }

    fn principal(user: u128, role: Role) -> Principal {
        Principal { user_id: Uuid::from_u128(user), session_id: Uuid::nil(), role, expires_at: i64::MAX }
    }

    #[test]
    fn who_may_see_a_post() {
        let (author, stranger, moderator) =
            (principal(1, Role::User), principal(2, Role::User), principal(3, Role::Moderator));
        let none = Blocks::default();
        let public = post(Visibility::Public, false, false);
        assert_eq!(access(None, &public, none), Access::Granted);
        let followers = post(Visibility::Followers, false, false);
        assert_eq!(access(None, &followers, none), Access::Denied);
        assert_eq!(access(Some(&stranger), &followers, none), Access::IfFollower);
        assert_eq!(access(Some(&author), &followers, none), Access::Granted);
        assert_eq!(access(Some(&moderator), &followers, none), Access::Granted);
        let hidden = post(Visibility::Public, true, false);
        assert_eq!(access(Some(&stranger), &hidden, none), Access::Denied);
        assert_eq!(access(Some(&author), &hidden, none), Access::Granted);
        let deleted = post(Visibility::Public, false, true);
        assert_eq!(access(Some(&author), &deleted, none), Access::Denied);
    }

    #[test]
    fn blocks_forbid() {
        let viewer = principal(2, Role::User);
        let blocker = Blocks { viewer_blocks_author: true, author_blocks_viewer: false };
        let blocked = Blocks { viewer_blocks_author: false, author_blocks_viewer: true };
        let public = post(Visibility::Public, false, false);
        let followers = post(Visibility::Followers, false, false);
        assert_eq!(access(Some(&viewer), &public, blocker), Access::Denied, "a blocker reads nothing of the blocked");
        assert_eq!(access(Some(&viewer), &followers, blocker), Access::Denied);
        assert_eq!(access(Some(&viewer), &public, blocked), Access::Granted, "public stays public");
        assert_eq!(
            access(Some(&viewer), &followers, blocked),
            Access::Denied,
            "not the blocker's followers-only posts"
        );
        assert!(may_interact(Blocks::default()).is_ok());
        assert!(matches!(may_interact(blocked), Err(ContentError::Blocked(why)) if why.contains("blocks you")));
        assert!(matches!(may_interact(blocker), Err(ContentError::Blocked(why)) if why.contains("you block")));
    }

    #[test]
    fn a_thread_reads_ancestors_down_and_replies_depth_first() {
        let id = |n: u32| PostId::new(contracts::ids::EPOCH_MS + 1, n);
        let at = |n: u32, parent: Option<u32>| Post {
            id: id(n),
            root_id: id(1),
            reply_to_id: parent.map(id),
            ..post(Visibility::Public, false, false)
        };
        // 1 ← 2 ← 3, 2 ← 4, 3 ← 5
        let thread = vec![at(1, None), at(2, Some(1)), at(3, Some(2)), at(4, Some(2)), at(5, Some(3))];
        let (ancestors, descendants) = around(&thread[1], &thread);
        assert_eq!(ancestors.iter().map(|p| p.id).collect::<Vec<_>>(), [id(1)]);
        assert_eq!(descendants.iter().map(|p| p.id).collect::<Vec<_>>(), [id(3), id(5), id(4)]);
    }

    #[test]
    fn text_and_language_are_checked_together() {
        let limits = ContentConfig { max_post_chars: 5, ..ContentConfig::default() };
        let mut errors = Vec::new();
        check_text(&limits, "toolong", Some("english"), &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["text", "language"]);
        let mut errors = Vec::new();
        check_text(&limits, "你好世界", Some("zh-Hans"), &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn hashtags_mentions_and_links_are_capped_and_the_cap_is_named() {
        let limits = ContentConfig {
            max_tags_per_post: 2,
            max_mentions_per_post: 1,
            max_links_per_post: 1,
            ..ContentConfig::default()
        };
        let mut errors = Vec::new();
        check_text(&limits, "#a #b @ann https://a.example", None, &mut errors);
        assert!(errors.is_empty(), "at the caps: {errors:?}");
        check_text(&limits, "#a #b #c @ann @bob https://a.example https://b.example", None, &mut errors);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "has 3 hashtags; a post may have at most 2",
                "has 2 mentions; a post may have at most 1",
                "has 2 links; a post may have at most 1"
            ]
        );
    }
}
