//! Every timeline store passes the same suite. Redis runs when `RIFFLE_TEST_REDIS_URL` is set
//! (and must, with `RIFFLE_TEST_REQUIRE_BACKENDS=1`).

use std::sync::Arc;

use timeline::{
    EPOCH_MS, PostId, TimelineKey, TimelineStore, embedded::EmbeddedTimelines, redis_store::RedisTimelines,
};

fn redis_url() -> Option<String> {
    platform::testing::backend_url("RIFFLE_TEST_REDIS_URL")
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
            async fn embedded() {
                ($body)(Arc::new(EmbeddedTimelines::new()) as Arc<dyn TimelineStore>).await;
            }
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

for_each_store!(many_pages_at_once_match_one_at_a_time, |store: Arc<dyn TimelineStore>| async move {
    let all = posts(40);
    for (i, post) in all.iter().enumerate() {
        let keys = if i % 2 == 0 { vec![key("posts:a"), key("posts:b")] } else { vec![key("posts:a")] };
        store.push(&keys, *post, 25).await.unwrap();
    }
    let keys = [key("posts:a"), key("posts:b"), key("posts:nobody")];
    for before in [None, Some(all[30]), Some(all[20]), Some(all[0])] {
        for limit in [1, 7, 50] {
            let many = store.page_many(&keys, before, limit).await.unwrap();
            let mut one_by_one = Vec::new();
            for k in &keys {
                one_by_one.push((store.page(k, before, limit).await.unwrap(), store.len(k).await.unwrap()));
            }
            assert_eq!(many, one_by_one, "before {before:?}, limit {limit}");
        }
    }
    assert_eq!(store.page_many(&keys, None, 3).await.unwrap()[1].1, 20);
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

#[tokio::test]
async fn an_embedded_snapshot_round_trips_and_damage_starts_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("timelines.snapshot");
    let store = EmbeddedTimelines::new();
    let all = posts(40);
    store.merge(&key("home:x"), &all, 800).await.unwrap();
    store.save(&path).unwrap();
    let loaded = EmbeddedTimelines::load(&path).unwrap_or_else(|(_, e)| panic!("{e}"));
    assert_eq!(
        loaded.page(&key("home:x"), None, 100).await.unwrap(),
        store.page(&key("home:x"), None, 100).await.unwrap()
    );

    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    let (empty, error) = EmbeddedTimelines::load(&path).err().expect("damage is detected");
    assert!(!error.to_string().is_empty());
    assert_eq!(empty.len(&key("home:x")).await.unwrap(), 0, "starts empty rather than serve wrong data");
    assert!(EmbeddedTimelines::load(&dir.path().join("missing")).is_ok(), "no snapshot yet is not an error");
}

/// Both stores answer a random sequence of operations identically.
#[tokio::test]
async fn the_embedded_store_and_redis_agree_on_random_operations() {
    let Some(redis) = redis().await else { return };
    let embedded: Arc<dyn TimelineStore> = Arc::new(EmbeddedTimelines::new());
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let pool = posts(300);
    let timelines = [key("home:1"), key("home:2"), key("tag:x")];
    for _ in 0..2_000 {
        let timeline = &timelines[next(3) as usize];
        let post = pool[next(300) as usize];
        match next(6) {
            0 | 1 => {
                for store in [&embedded, &redis] {
                    store.push(std::slice::from_ref(timeline), post, 50).await.unwrap();
                }
            }
            2 => {
                let batch: Vec<PostId> = (0..next(20)).map(|_| pool[next(300) as usize]).collect();
                for store in [&embedded, &redis] {
                    store.merge(timeline, &batch, 50).await.unwrap();
                }
            }
            3 => {
                for store in [&embedded, &redis] {
                    store.remove(timeline, &[post]).await.unwrap();
                }
            }
            _ => {
                let before = if next(2) == 0 { None } else { Some(post) };
                let limit = next(30) as usize;
                let a = embedded.page(timeline, before, limit).await.unwrap();
                let b = redis.page(timeline, before, limit).await.unwrap();
                assert_eq!(a, b, "page({}, {before:?}, {limit})", timeline.as_str());
            }
        }
    }
    for timeline in &timelines {
        assert_eq!(embedded.page(timeline, None, 100).await.unwrap(), redis.page(timeline, None, 100).await.unwrap());
    }
}
