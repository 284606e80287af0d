//! Groups against a reference: after any sequence of likes and unlikes of one post (redelivered
//! ones included), within one window or across several, the groups hold exactly the likes that
//! stand, each group's count is its notifications, and its samples are its newest accounts.

use std::collections::BTreeMap;

use proptest::prelude::*;
use sqlx::Row;
use uuid::Uuid;

use super::groups::{self, Taken};
use crate::domain::{Kind, Notice};

const HOUR: i64 = 3_600_000;
const WINDOW: i64 = 12 * HOUR;

fn user(n: u8) -> Uuid {
    Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | u128::from(n))
}

#[derive(Debug, Clone)]
enum Op {
    Like { actor: u8, hours_later: i64 },
    Unlike { actor: u8 },
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0..6u8, 0..6i64).prop_map(|(actor, hours_later)| Op::Like { actor, hours_later }),
        1 => (0..6u8).prop_map(|actor| Op::Unlike { actor }),
    ];
    prop::collection::vec(op, 1..40)
}

async fn check(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let location = platform::config::DatabaseLocation::Sqlite(dir.path().join("notifications.db"));
    let db = platform::Db::connect("notifications", &location, 2).await.unwrap();
    platform::events::outbox::install(&db).await.unwrap();
    db.migrate(&crate::MIGRATIONS).await.unwrap();
    let store = super::over(db);
    let (recipient, post) = (user(100), contracts::PostId::new(contracts::ids::EPOCH_MS + 1, 1));
    // The likes that stand, with when they were given.
    let mut standing: BTreeMap<u8, i64> = BTreeMap::new();
    let mut now = 0;
    for op in ops {
        let mut change = store.begin().await.unwrap();
        match op {
            Op::Like { actor, hours_later } => {
                now += hours_later * HOUR;
                let notice = Notice { recipient, kind: Kind::Like, actor: user(actor), post: Some(post), at_ms: now };
                let recorded = groups::record(&mut change, &notice, true, WINDOW).await.unwrap();
                prop_assert_eq!(recorded.is_some(), !standing.contains_key(&actor), "a standing like is told once");
                standing.entry(actor).or_insert(now);
            }
            Op::Unlike { actor } => {
                let taken = Taken::One {
                    recipient,
                    kind: Kind::Like,
                    actor: user(actor),
                    post_key: super::post_key(Some(post)),
                };
                groups::take_back(&mut change, taken).await.unwrap();
                standing.remove(&actor);
            }
        }
        change.commit().await.unwrap();
    }
    let listed = groups::page(&store, recipient, &Default::default(), None, 100).await.unwrap();
    prop_assert_eq!(listed.iter().map(|g| g.count).sum::<i64>(), standing.len() as i64, "counts are exact");
    for group in &listed {
        let held: Vec<(String, i64)> = sqlx::query("SELECT actor_id, created_at_ms FROM notifications WHERE group_id = $1 ORDER BY created_at_ms DESC, id DESC")
            .bind(&group.id)
            .fetch_all(store.db().reader())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("actor_id"), r.get("created_at_ms")))
            .collect();
        prop_assert_eq!(group.count, held.len() as i64);
        prop_assert!(
            held.iter().all(|(_, at)| groups_window(group.opened_at_ms, *at)),
            "within the window: {:?}",
            group
        );
        let newest: Vec<String> = held.iter().take(groups::SAMPLES).map(|(actor, _)| actor.clone()).collect();
        prop_assert_eq!(&group.sample_ids, &newest);
        prop_assert_eq!(group.latest_at_ms, held[0].1);
    }
    Ok(())
}

fn groups_window(opened: i64, at: i64) -> bool {
    crate::domain::joins(opened, at, WINDOW)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    #[test]
    fn groups_hold_exactly_the_standing_likes(ops in ops()) {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(check(ops))?;
    }
}
