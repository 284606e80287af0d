//! Loading notifications before a server starts (the load generator): likes and follows
//! recorded through the production grouping (`store::groups::record`), a thousand to a
//! transaction, so that what the benchmarks read is what the service would have written.

use contracts::PostId;
use uuid::Uuid;

use crate::{
    MIGRATIONS, NAME, NotificationsConfig,
    domain::{Kind, Notice},
    store::{self, Store, groups},
};

/// One reaction to record: `actor` likes `recipient`'s post `post`, or follows `recipient`
/// (`post` none), at `at_ms`.
#[derive(Debug, Clone, Copy)]
pub struct Reaction {
    pub recipient: Uuid,
    pub actor: Uuid,
    pub post: Option<PostId>,
    pub at_ms: i64,
}

pub struct Loader {
    store: Store,
    window_ms: i64,
}

impl Loader {
    /// Opens (and migrates) notifications' database as `runtime` configures it.
    pub async fn open(runtime: &platform::Runtime, config: &NotificationsConfig) -> anyhow::Result<Loader> {
        let db = runtime.open_database(NAME, &MIGRATIONS).await?;
        Ok(Loader { store: store::over(db), window_ms: config.window_ms() })
    }

    /// Records `reactions`, grouped as the service groups them; how many were new.
    pub async fn record(&self, reactions: &[Reaction]) -> anyhow::Result<u64> {
        let mut recorded = 0;
        for chunk in reactions.chunks(1000) {
            let mut change = self.store.begin().await?;
            for r in chunk {
                let kind = if r.post.is_some() { Kind::Like } else { Kind::Follow };
                let notice = Notice { recipient: r.recipient, kind, actor: r.actor, post: r.post, at_ms: r.at_ms };
                recorded += u64::from(groups::record(&mut change, &notice, true, self.window_ms).await?.is_some());
            }
            change.commit().await?;
        }
        Ok(recorded)
    }
}
