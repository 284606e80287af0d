//! Every event has a committed JSON fixture (`fixtures/<topic>.json`), and every fixture still
//! decodes into the event it was written from and encodes back to the same JSON: a renamed,
//! retyped or removed field fails here, before it reaches a consumer or a stored row.
//!
//! After a deliberate change (with the family's version bumped where the change is not additive,
//! see the crate documentation), rewrite the fixtures with
//! `RIFFLE_BLESS_FIXTURES=1 cargo test -p contracts --test fixtures`.

use std::{collections::BTreeSet, path::PathBuf};

use contracts::{
    AccountKind, EventFamily, PostId, Role, Visibility,
    content::{ContentEvent, Like, MediaRef, PostRef, PostSnapshot, PostSummary, Report, ReportOutcome},
    crawler::{Attachment, CrawlerEvent, Entries, Entry, SourceAvatar, SourceProfile, Subscription},
    graph::{Block, Follow, GraphEvent, Mute, TagFollow},
    identity::{IdentityEvent, RoleChanged, SessionRef, UserRef, UserRegistered, UserUpdated},
};
use serde_json::{Value, json};
use uuid::Uuid;

fn user(n: u128) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n)
}

fn post(n: u64) -> PostId {
    PostId::new(contracts::ids::EPOCH_MS + 86_400_000 + n, n as u32)
}

fn identity_examples() -> Vec<IdentityEvent> {
    vec![
        IdentityEvent::UserRegistered(UserRegistered {
            user_id: user(1),
            username: "ada".into(),
            display_name: "Ada Lovelace".into(),
            role: Role::User,
            kind: AccountKind::Person,
        }),
        IdentityEvent::UserUpdated(UserUpdated {
            user_id: user(1),
            username: "ada".into(),
            display_name: "Ada L.".into(),
            bio: "analyst".into(),
            avatar_media_id: Some("0190a1b2-0000-7000-8000-000000000001".into()),
        }),
        IdentityEvent::RoleChanged(RoleChanged { user_id: user(1), role: Role::Moderator }),
        IdentityEvent::UserSuspended(UserRef { user_id: user(1) }),
        IdentityEvent::UserRestored(UserRef { user_id: user(1) }),
        IdentityEvent::UserDeleted(UserRef { user_id: user(1) }),
        IdentityEvent::SessionEnded(SessionRef { user_id: user(1), session_id: user(99) }),
    ]
}

fn summary() -> PostSummary {
    PostSummary {
        id: post(2),
        author_id: user(1),
        text: "热力学 #physics @grace https://example.org".into(),
        visibility: Visibility::Followers,
        language: Some("zh-Hans".into()),
        reply_to_id: Some(post(1)),
        reply_to_author_id: Some(user(2)),
        root_id: post(1),
        repost_of_id: None,
        repost_of_author_id: None,
        tags: vec!["physics".into()],
        mentions: vec!["grace".into()],
        links: vec!["https://example.org".into()],
        media_ids: vec!["0190a1b2-0000-7000-8000-000000000002".into()],
        created_at_ms: post(2).unix_ms() as i64,
    }
}

fn content_examples() -> Vec<ContentEvent> {
    let repost = PostSummary {
        id: post(3),
        text: String::new(),
        visibility: Visibility::Public,
        language: None,
        reply_to_id: None,
        reply_to_author_id: None,
        root_id: post(3),
        repost_of_id: Some(post(1)),
        repost_of_author_id: Some(user(2)),
        tags: vec![],
        mentions: vec![],
        links: vec![],
        media_ids: vec![],
        created_at_ms: post(3).unix_ms() as i64,
        ..summary()
    };
    let like = Like { post_id: post(1), user_id: user(1), author_id: user(2), tags: vec!["physics".into()] };
    vec![
        ContentEvent::PostCreated(PostSnapshot { post: repost }),
        ContentEvent::PostEdited(PostSnapshot { post: summary() }),
        ContentEvent::PostDeleted(PostRef { id: post(2), author_id: user(1) }),
        ContentEvent::PostHidden(PostRef { id: post(2), author_id: user(1) }),
        ContentEvent::PostLiked(like.clone()),
        ContentEvent::PostUnliked(like),
        ContentEvent::MediaUploaded(MediaRef {
            id: "0190a1b2-0000-7000-8000-000000000003".into(),
            owner_id: user(1),
            kind: "image".into(),
            source_avatar: true,
            mime: Some("image/png".into()),
            size: Some(48_213),
        }),
        ContentEvent::ReportFiled(Report {
            report_id: "0190a1b2-0000-7000-8000-000000000004".into(),
            post_id: post(1),
            reporter_id: user(3),
            reason: "spam".into(),
        }),
        ContentEvent::ReportResolved(ReportOutcome {
            report_id: "0190a1b2-0000-7000-8000-000000000004".into(),
            post_id: post(1),
            reporter_id: user(3),
            resolution: "hidden".into(),
        }),
    ]
}

fn graph_examples() -> Vec<GraphEvent> {
    let follow = Follow { follower_id: user(1), followee_id: user(2) };
    let block = Block { blocker_id: user(1), blocked_id: user(3) };
    let mute = Mute { muter_id: user(1), muted_id: user(4) };
    let tag = TagFollow { user_id: user(1), tag: "rust编程".into() };
    vec![
        GraphEvent::FollowCreated(follow),
        GraphEvent::FollowDeleted(follow),
        GraphEvent::BlockCreated(block),
        GraphEvent::BlockDeleted(block),
        GraphEvent::MuteCreated(mute),
        GraphEvent::MuteDeleted(mute),
        GraphEvent::TagFollowCreated(tag.clone()),
        GraphEvent::TagFollowDeleted(tag),
    ]
}

fn crawler_examples() -> Vec<CrawlerEvent> {
    let profile = SourceProfile {
        account_id: user(5),
        username: "blog_example_org".into(),
        display_name: "Example 博客".into(),
        bio: "Notes on physics".into(),
        home_url: Some("https://blog.example.org/".into()),
        feed_url: "https://blog.example.org/feed.xml".into(),
    };
    let entry = Entry {
        entry_id: user(6),
        account_id: user(5),
        text: "Heat engines\n\nWhy Carnot was right.\n\nhttps://blog.example.org/carnot".into(),
        url: Some("https://blog.example.org/carnot".into()),
        language: Some("en".into()),
        published_at_ms: Some(1_767_225_600_000),
        attachments: vec![Attachment {
            url: "https://blog.example.org/carnot.mp3".into(),
            media_type: Some("audio/mpeg".into()),
        }],
        same_as: None,
    };
    // The same article from another source, published after the first.
    let same = Entry { entry_id: user(7), account_id: user(8), same_as: Some(user(6)), ..entry.clone() };
    let subscription = Subscription { user_id: user(1), account_id: user(5) };
    vec![
        CrawlerEvent::SourceCreated(profile.clone()),
        CrawlerEvent::SourceUpdated(SourceProfile { display_name: "Example Blog".into(), ..profile }),
        CrawlerEvent::EntriesPublished(Entries { entries: vec![entry.clone(), same] }),
        CrawlerEvent::EntriesRevised(Entries {
            entries: vec![Entry { text: "Heat engines, revised".into(), ..entry }],
        }),
        CrawlerEvent::Subscribed(subscription),
        CrawlerEvent::Unsubscribed(subscription),
        CrawlerEvent::AvatarFetched(SourceAvatar {
            account_id: user(5),
            url: "https://blog.example.org/icon.png".into(),
            media_type: Some("image/png".into()),
            data: "iVBORw0KGgo=".into(),
        }),
    ]
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Checks (or, when blessing, writes) the fixture of each example; returns the topics seen.
fn check<F: EventFamily + PartialEq + std::fmt::Debug>(examples: Vec<F>) -> BTreeSet<&'static str> {
    let bless = std::env::var("RIFFLE_BLESS_FIXTURES").as_deref() == Ok("1");
    let mut topics = BTreeSet::new();
    for event in examples {
        let topic = event.topic();
        assert!(topics.insert(topic), "two examples of {topic}");
        let path = fixtures_dir().join(format!("{topic}.json"));
        let encoded = json!({ "topic": topic, "version": F::VERSION, "payload": event.to_payload() });
        if bless {
            std::fs::write(&path, serde_json::to_string_pretty(&encoded).unwrap() + "\n").unwrap();
        }
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|_| panic!("{} is missing: every event needs a fixture", path.display()));
        let fixture: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(fixture, encoded, "{topic}: the event no longer encodes as its fixture");
        assert_eq!(fixture["version"], F::VERSION, "{topic}: the fixture is of another version");
        let decoded = F::from_payload(topic, fixture["payload"].clone())
            .unwrap_or_else(|e| panic!("{topic}: the fixture no longer decodes: {e}"));
        assert_eq!(decoded.as_ref(), Some(&event), "{topic}: the fixture decodes into another event");
    }
    let all: BTreeSet<&str> = F::ALL.iter().copied().collect();
    assert_eq!(topics, all, "every topic of the family has an example");
    topics
}

#[test]
fn every_event_round_trips_through_its_committed_fixture() {
    let mut topics = check(identity_examples());
    topics.extend(check(content_examples()));
    topics.extend(check(graph_examples()));
    topics.extend(check(crawler_examples()));
    // No fixture is left over from a topic that no longer exists.
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let topic = name.strip_suffix(".json").unwrap_or(&name);
        assert!(topics.contains(topic), "fixtures/{name} names no event");
    }
}

#[test]
fn topics_belong_to_their_family_and_unknown_topics_are_not_errors() {
    for topic in IdentityEvent::ALL {
        assert!(topic.starts_with("identity."));
    }
    for topic in ContentEvent::ALL {
        assert!(topic.starts_with("content."));
    }
    for topic in GraphEvent::ALL {
        assert!(topic.starts_with("graph."));
    }
    for topic in CrawlerEvent::ALL {
        assert!(topic.starts_with("crawler."));
    }
    assert_eq!(ContentEvent::from_payload("content.post.pinned", json!({})).unwrap(), None);
}

#[test]
fn an_account_without_a_kind_is_a_person() {
    let mut payload = identity_examples()[0].to_payload();
    payload.as_object_mut().unwrap().remove("kind");
    let Some(IdentityEvent::UserRegistered(user)) =
        IdentityEvent::from_payload("identity.user.registered", payload).unwrap()
    else {
        panic!("decodes as a registration");
    };
    assert_eq!(user.kind, AccountKind::Person);
}

#[test]
fn a_renamed_field_is_an_error_not_a_default() {
    let mut payload = content_examples()[1].to_payload();
    let post = payload["post"].as_object_mut().unwrap();
    let text = post.remove("text").unwrap();
    post.insert("body".into(), text);
    assert!(ContentEvent::from_payload("content.post.edited", payload).is_err());
}
