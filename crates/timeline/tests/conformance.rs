//! Every timeline store passes the same suite. Redis runs when `RIFFLE_TEST_REDIS_URL` is set
//! (and must, with `RIFFLE_TEST_REQUIRE_BACKENDS=1`).

use std::sync::Arc;

use timeline::{EPOCH_MS, PostId, TimelineKey, TimelineStore, redis_store::RedisTimelines};

fn redis_url() -> Option<String> {
    match std::env::var("RIFFLE_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("RIFFLE_TEST_REQUIRE_BACKENDS").as_deref() == Ok("1") => {
            panic!("RIFFLE_TEST_REDIS_URL is not set but RIFFLE_TEST_REQUIRE_BACKENDS=1")
        }
        _ => {
            eprintln!("skipped: RIFFLE_TEST_REDIS_URL not set");
            None
        }
    }
}

async fn redis() -> Option<Arc<dyn TimelineStore>> {
    let url = redis_url()?;
    // A prefix per test keeps tests apart on one server.
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    Some(Arc::new(RedisTimelines::connect(&url, &prefix).await.unwrap()))
}

macro_rules! for_each_store {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn redis() {
                if let Some(store) = super::redis().await {
                    ($body)(store).await;
                }
            }
        }
    };
}

/// Post ids at increasing milliseconds, several per millisecond so ties are exercised.
fn posts(n: u64) -> Vec<PostId> {
    (0..n).map(|i| PostId::new(EPOCH_MS + 1_000 + i / 3, (i % 3) as u32 * 1000 + 7)).collect()
}

fn key(name: &str) -> TimelineKey {
    TimelineKey::new(name)
}

for_each_store!(pushes_are_read_newest_first_and_capped, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(30);
    for post in &all {
        store.push(&[key("home:a"), key("home:b")], *post, 10).await.unwrap();
    }
    let newest: Vec<PostId> = all.iter().rev().take(10).copied().collect();
    assert_eq!(store.page(&key("home:a"), None, 50).await.unwrap(), newest);
    assert_eq!(store.page(&key("home:b"), None, 3).await.unwrap(), newest[..3]);
    assert_eq!(store.len(&key("home:a")).await.unwrap(), 10);
    assert_eq!(store.len(&key("home:nobody")).await.unwrap(), 0);
});

for_each_store!(paging_by_cursor_has_no_gaps_and_no_duplicates, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(100);
    store.merge(&key("tag:rust"), &all, 800).await.unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store.page(&key("tag:rust"), cursor, 7).await.unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().copied();
        seen.extend(page);
        // A new post arriving while paging must not shift what later pages return.
        store.push(&[key("tag:rust")], PostId::new(EPOCH_MS + 999_999 + seen.len() as u64, 1), 800).await.unwrap();
    }
    let expected: Vec<PostId> = all.iter().rev().copied().collect();
    assert_eq!(seen, expected);
});

for_each_store!(a_cursor_that_was_removed_still_pages_correctly, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(20);
    store.merge(&key("home:c"), &all, 800).await.unwrap();
    let cursor = all[10];
    store.remove(&key("home:c"), &[cursor]).await.unwrap();
    let page = store.page(&key("home:c"), Some(cursor), 5).await.unwrap();
    let expected: Vec<PostId> = all[5..10].iter().rev().copied().collect();
    assert_eq!(page, expected);
});

for_each_store!(removal_and_drop_take_posts_out, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(6);
    store.merge(&key("home:d"), &all, 800).await.unwrap();
    store.merge(&key("home:e"), &all, 800).await.unwrap();
    store.remove(&key("home:d"), &all[..2]).await.unwrap();
    assert_eq!(store.page(&key("home:d"), None, 10).await.unwrap(), all[2..].iter().rev().copied().collect::<Vec<_>>());
    store.remove_everywhere(&[key("home:d"), key("home:e")], all[5]).await.unwrap();
    assert!(!store.page(&key("home:e"), None, 10).await.unwrap().contains(&all[5]));
    store.drop_timeline(&key("home:e")).await.unwrap();
    assert_eq!(store.len(&key("home:e")).await.unwrap(), 0);
    // Everything is idempotent: repeating changes nothing.
    store.remove(&key("home:d"), &all[..2]).await.unwrap();
    store.drop_timeline(&key("home:e")).await.unwrap();
    store.push(&[key("home:d")], all[4], 800).await.unwrap();
    assert_eq!(store.len(&key("home:d")).await.unwrap(), 3);
});

for_each_store!(merging_keeps_the_newest_within_the_cap, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(50);
    store.merge(&key("home:f"), &all[40..], 20).await.unwrap();
    store.merge(&key("home:f"), &all[..40], 20).await.unwrap();
    let expected: Vec<PostId> = all[30..].iter().rev().copied().collect();
    assert_eq!(store.page(&key("home:f"), None, 100).await.unwrap(), expected);
    store.ping().await.unwrap();
});
