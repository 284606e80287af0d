//! The home rule in SQL (pages past the cap, fan-out recipients) agrees with its reference form
//! in Rust (`domain::home::shows`) on random graphs.

use std::collections::HashSet;

use contracts::{PostId, Visibility};
use platform::db::now_ms;
use proptest::prelude::*;
use uuid::Uuid;

use super::{graph, posts};
use crate::domain::{
    home::{Reader, shows},
    posts::FeedPost,
    timelines::Timeline,
};

const USERS: u8 = 6;
const TAGS: [&str; 3] = ["rust", "go", "zig"];

fn user(n: u8) -> Uuid {
    Uuid::from_u128(u128::from(n) + 1)
}

#[derive(Debug, Clone)]
struct World {
    follows: Vec<(u8, u8)>,
    /// (user, author): blocks and mutes alike.
    hidden: Vec<(u8, u8)>,
    tag_follows: Vec<(u8, usize)>,
    /// (author, visibility, answered, tags)
    posts: Vec<(u8, u8, Option<u8>, Vec<usize>)>,
}

fn world() -> impl Strategy<Value = World> {
    let pair = || (0..USERS, 0..USERS).prop_filter("not oneself", |(a, b)| a != b);
    (
        proptest::collection::vec(pair(), 0..14),
        proptest::collection::vec(pair(), 0..4),
        proptest::collection::vec((0..USERS, 0..TAGS.len()), 0..5),
        proptest::collection::vec(
            (0..USERS, 0u8..3, proptest::option::of(0..USERS), proptest::collection::vec(0..TAGS.len(), 0..2)),
            1..12,
        ),
    )
        .prop_map(|(follows, hidden, tag_follows, posts)| World { follows, hidden, tag_follows, posts })
}

fn feed_post(i: usize, (author, visibility, answered, tags): &(u8, u8, Option<u8>, Vec<usize>)) -> FeedPost {
    let visibility = [Visibility::Public, Visibility::Unlisted, Visibility::Followers][*visibility as usize];
    let mut tags: Vec<String> = tags.iter().map(|t| TAGS[*t].to_owned()).collect();
    tags.sort();
    tags.dedup();
    FeedPost {
        id: PostId::new(contracts::ids::EPOCH_MS + 10_000 + i as u64, i as u32),
        author_id: user(*author),
        visibility,
        reply_to_author_id: answered.map(user),
        tags,
        ..FeedPost::example()
    }
}

async fn check(world: World) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let location = platform::config::DatabaseLocation::Sqlite(dir.path().join("feed.db"));
    let db = platform::Db::connect("feed", &location, 2).await.unwrap();
    platform::events::outbox::install(&db).await.unwrap();
    db.migrate(&crate::MIGRATIONS).await.unwrap();
    let store = super::over(db);
    let mut change = store.begin().await.unwrap();
    let mut readers: Vec<Reader> = (0..USERS).map(|n| Reader { id: user(n), ..Reader::default() }).collect();
    for &(a, b) in &world.follows {
        graph::follow(&mut change, user(a), user(b), true).await.unwrap();
        readers[a as usize].follows.insert(user(b));
    }
    for &(a, b) in &world.hidden {
        graph::hide(&mut change, user(a), user(b), graph::Hidden::Mute, true).await.unwrap();
        readers[a as usize].hidden.insert(user(b));
    }
    for &(a, t) in &world.tag_follows {
        graph::follow_tag(&mut change, user(a), TAGS[t], true).await.unwrap();
        readers[a as usize].tags.insert(TAGS[t].to_owned());
    }
    for n in 0..USERS {
        sqlx::query("INSERT INTO feed_readers (user_id, last_read_ms) VALUES ($1, $2)")
            .bind(user(n).to_string())
            .bind(now_ms())
            .execute(change.conn())
            .await
            .unwrap();
    }
    let posts_made: Vec<FeedPost> = world.posts.iter().enumerate().map(|(i, p)| feed_post(i, p)).collect();
    for post in &posts_made {
        posts::upsert(&mut change, post).await.unwrap();
    }
    for post in &posts_made {
        let sql: HashSet<Uuid> =
            graph::recipients(&mut change, post, true, i64::MIN).await.unwrap().into_iter().collect();
        let rust: HashSet<Uuid> = readers.iter().filter(|r| shows(r, &post.facts())).map(|r| r.id).collect();
        prop_assert_eq!(sql, rust, "recipients of {:?}", post);
    }
    change.commit().await.unwrap();
    for reader in &readers {
        let sql = posts::page(&store, &Timeline::Home(reader.id), None, 100).await.unwrap();
        let mut rust: Vec<PostId> = posts_made.iter().filter(|p| shows(reader, &p.facts())).map(|p| p.id).collect();
        rust.sort_unstable_by(|a, b| b.cmp(a));
        prop_assert_eq!(sql, rust, "home of {}", reader.id);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn the_home_rule_in_sql_is_the_rule_in_rust(world in world()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(check(world))?;
    }
}
