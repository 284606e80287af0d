//! The timelines the feed keeps in the timeline store, and the one place their keys are spelt
//! and their caps chosen.

use contracts::Visibility;
use timeline::TimelineKey;
use uuid::Uuid;

use super::posts::FeedPost;
use crate::config::TimelinesConfig;

/// A timeline of post ids, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Timeline {
    /// Every public post: the waterfall.
    Public,
    /// Public posts with a hashtag.
    Tag(String),
    /// A user's public and unlisted posts.
    User(Uuid),
    /// Every post of a user, whatever its visibility: what home reads merge in for accounts too
    /// big to push.
    Posts(Uuid),
    /// A user's home timeline.
    Home(Uuid),
}

impl Timeline {
    pub fn key(&self) -> TimelineKey {
        // Built by hand rather than with `format!`: fan-out makes one key per recipient.
        let prefixed = |prefix: &str, user: &Uuid| {
            let mut key = String::with_capacity(prefix.len() + uuid::fmt::Hyphenated::LENGTH);
            key.push_str(prefix);
            key.push_str(user.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
            key
        };
        TimelineKey::new(match self {
            Timeline::Public => "public".to_owned(),
            Timeline::Tag(tag) => ["tag:", tag].concat(),
            Timeline::User(user) => prefixed("user:", user),
            Timeline::Posts(user) => prefixed("posts:", user),
            Timeline::Home(user) => prefixed("home:", user),
        })
    }

    /// How many entries it keeps; older pages come from the database.
    pub fn cap(&self, config: &TimelinesConfig) -> usize {
        match self {
            Timeline::Public => config.public_cap,
            _ => config.cap,
        }
    }

    /// The timelines a post belongs to besides home timelines: its author's `posts:` timeline
    /// always, the author's `user:` timeline when it is listed there, the public and tag
    /// timelines when it is public.
    pub fn of(post: &FeedPost) -> Vec<Timeline> {
        let mut timelines = vec![Timeline::Posts(post.author_id)];
        if matches!(post.visibility, Visibility::Public | Visibility::Unlisted) {
            timelines.push(Timeline::User(post.author_id));
        }
        if post.visibility == Visibility::Public {
            timelines.push(Timeline::Public);
            timelines.extend(post.tags.iter().map(|t| Timeline::Tag(t.clone())));
        }
        timelines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_goes_where_its_visibility_lets_it() {
        let post = |visibility| FeedPost { visibility, tags: vec!["rust".into()], ..FeedPost::example() };
        let author = FeedPost::example().author_id.to_string();
        let keys = |v| Timeline::of(&post(v)).iter().map(|t| t.key().as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(
            keys(Visibility::Public),
            [format!("posts:{author}"), format!("user:{author}"), "public".into(), "tag:rust".into()]
        );
        assert_eq!(keys(Visibility::Unlisted), [format!("posts:{author}"), format!("user:{author}")]);
        assert_eq!(keys(Visibility::Followers), [format!("posts:{author}")]);
        let config = TimelinesConfig::default();
        assert_eq!(Timeline::Public.cap(&config), config.public_cap);
        assert_eq!(Timeline::Home(Uuid::nil()).cap(&config), config.cap);
        let user = Uuid::from_u128(0x0190_abcd_0000_7000_8000_0000_0000_00ff);
        assert_eq!(Timeline::Home(user).key().as_str(), format!("home:{user}"));
        assert_eq!(Timeline::Tag("编程".into()).key().as_str(), "tag:编程");
    }
}
