//! The home rule: which posts a user's home timeline shows.
//!
//! A user sees their own posts, and the posts of the accounts they follow and do not hide
//! (block, mute, or blocked by); a reply only when they also follow the account it answers, or
//! are that account: conversations between strangers stay out of your home. A public post also
//! reaches everyone who follows one of its hashtags (replies included: the tag is what they
//! asked for), unless they hide its author.
//!
//! The rule is written twice, side by side: in Rust, whole as `shows` (the reference, which the
//! tests hold the SQL to) and in the pieces the read paths decide one post at a time with
//! ([`reply_reaches`]); and in SQL ([`VISIBLE_AT_HOME`], [`RECIPIENTS`], [`TAG_RECIPIENTS`]) for
//! the pages past a timeline's cap and for fan-out, so that paging from the timeline store into
//! the database shows no seam.

use std::collections::HashSet;

use contracts::Visibility;
use uuid::Uuid;

use super::posts::PostFacts;

/// What the rule needs to know about a reader: their part of the graph.
#[derive(Debug, Default, Clone)]
pub struct Reader {
    pub id: Uuid,
    pub follows: HashSet<Uuid>,
    /// Authors the reader blocks, mutes, or is blocked by.
    pub hidden: HashSet<Uuid>,
    /// The hashtags they follow.
    pub tags: HashSet<String>,
}

/// Whether a reply that answers `answered` reaches `reader` by following: when they are the one
/// answered, or follow them.
pub fn reply_reaches(reader: Uuid, answered: Option<Uuid>, follows_answered: impl FnOnce(Uuid) -> bool) -> bool {
    match answered {
        None => true,
        Some(answered) => answered == reader || follows_answered(answered),
    }
}

/// Whether `post` belongs in `reader`'s home: the reference form of the rule, and the one live
/// streams decide by.
pub fn shows(reader: &Reader, post: &PostFacts) -> bool {
    if post.author_id == reader.id {
        return true;
    }
    if reader.hidden.contains(&post.author_id) {
        return false;
    }
    let by_follow = reader.follows.contains(&post.author_id)
        && reply_reaches(reader.id, post.reply_to_author_id, |a| reader.follows.contains(&a));
    let by_tag = post.visibility == Visibility::Public && post.tags.iter().any(|t| reader.tags.contains(t));
    by_follow || by_tag
}

/// Whether "for you" may suggest `post` to `reader`: not their own, not by anyone they hide,
/// public unless they follow the author, and a reply only when it would reach their home.
pub fn suggests(reader: &Reader, post: &PostFacts) -> bool {
    post.author_id != reader.id
        && !reader.hidden.contains(&post.author_id)
        && (post.visibility == Visibility::Public || reader.follows.contains(&post.author_id))
        && reply_reaches(reader.id, post.reply_to_author_id, |to| reader.follows.contains(&to))
}

/// [`shows`] in SQL, over `feed_posts`, for reader `$1`.
pub const VISIBLE_AT_HOME: &str = "visibility IN ('public', 'unlisted', 'followers') AND (author_id = $1 OR (\
     author_id NOT IN (SELECT author_id FROM feed_hidden_authors WHERE user_id = $1) AND (\
       (author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1) \
        AND (reply_to_author_id IS NULL OR reply_to_author_id = $1 \
             OR reply_to_author_id IN (SELECT followee_id FROM feed_follows WHERE follower_id = $1))) \
       OR (visibility = 'public' AND id IN (SELECT t.post_id FROM feed_post_tags t \
             JOIN feed_tag_follows f ON f.tag = t.tag WHERE f.user_id = $1)))))";

/// [`shows`] seen from the post, for fan-out: the followers of author `$1` who see a post that
/// answers `$2` (empty for no reply), among those who read their home since `$3`.
pub const RECIPIENTS: &str = "SELECT f.follower_id AS user_id FROM feed_follows f WHERE f.followee_id = $1 \
     AND NOT EXISTS (SELECT 1 FROM feed_hidden_authors h WHERE h.user_id = f.follower_id AND h.author_id = $1) \
     AND ($2 = '' OR f.follower_id = $2 OR EXISTS \
          (SELECT 1 FROM feed_follows g WHERE g.follower_id = f.follower_id AND g.followee_id = $2)) \
     AND EXISTS (SELECT 1 FROM feed_readers r WHERE r.user_id = f.follower_id AND r.last_read_ms >= $3)";

/// The same for a public post's hashtags: those following one of the tags in `{tags}` (from `$3`
/// on) who do not hide author `$1`, among those who read since `$2`.
pub const TAG_RECIPIENTS: &str = "SELECT DISTINCT f.user_id FROM feed_tag_follows f WHERE f.tag IN ({tags}) \
     AND NOT EXISTS (SELECT 1 FROM feed_hidden_authors h WHERE h.user_id = f.user_id AND h.author_id = $1) \
     AND EXISTS (SELECT 1 FROM feed_readers r WHERE r.user_id = f.user_id AND r.last_read_ms >= $2)";

#[cfg(test)]
mod tests {
    use super::*;

    fn user(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn post(author: u128, visibility: Visibility, reply_to: Option<u128>, tags: &[&str]) -> PostFacts {
        PostFacts {
            id: contracts::PostId::new(contracts::ids::EPOCH_MS + 1, 1),
            author_id: user(author),
            visibility,
            reply_to_author_id: reply_to.map(user),
            tags: tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn reader() -> Reader {
        Reader {
            id: user(1),
            follows: [user(2), user(3)].into(),
            hidden: [user(3), user(4)].into(),
            tags: ["rust".into()].into(),
        }
    }

    #[test]
    fn own_posts_and_follows_show_hidden_authors_do_not() {
        let me = reader();
        assert!(shows(&me, &post(1, Visibility::Followers, Some(9), &[])), "own posts, even replies to strangers");
        assert!(shows(&me, &post(2, Visibility::Followers, None, &[])), "a follow's followers-only post");
        assert!(shows(&me, &post(2, Visibility::Unlisted, None, &[])));
        assert!(!shows(&me, &post(3, Visibility::Public, None, &[])), "followed but muted or blocked");
        assert!(!shows(&me, &post(5, Visibility::Public, None, &[])), "a stranger");
    }

    #[test]
    fn replies_reach_only_who_follows_both_sides() {
        let me = reader();
        assert!(shows(&me, &post(2, Visibility::Public, Some(1), &[])), "an answer to me");
        assert!(shows(&me, &post(2, Visibility::Public, Some(2), &[])), "a thread with themselves");
        assert!(!shows(&me, &post(2, Visibility::Public, Some(9), &[])), "an answer to a stranger");
        assert!(reply_reaches(user(1), None, |_| false));
        assert!(!reply_reaches(user(1), Some(user(9)), |_| false));
        assert!(reply_reaches(user(1), Some(user(9)), |_| true));
    }

    #[test]
    fn hashtags_bring_public_posts_of_strangers_unless_hidden() {
        let me = reader();
        assert!(shows(&me, &post(5, Visibility::Public, Some(9), &["rust"])), "the tag is what they asked for");
        assert!(!shows(&me, &post(5, Visibility::Unlisted, None, &["rust"])), "only public posts are listed by tag");
        assert!(!shows(&me, &post(5, Visibility::Followers, None, &["rust"])));
        assert!(!shows(&me, &post(4, Visibility::Public, None, &["rust"])), "a hidden author stays hidden");
        assert!(!shows(&me, &post(5, Visibility::Public, None, &["go"])));
    }
}
