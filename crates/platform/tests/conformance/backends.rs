//! Which backends a conformance test runs against, and fresh, isolated instances of them.

use std::{sync::Arc, time::Duration};

use platform::{
    Db,
    config::DatabaseLocation,
    events::{EventBus, RetryPolicy, memory::InProcessBus, nats::NatsBus, outbox},
};
use tempfile::TempDir;

pub use platform::testing::backend_url as external;

/// A database of one of the relational backends, isolated for one test.
pub struct TestDb {
    pub db: Db,
    /// Keeps the SQLite directory alive as long as the database.
    pub _dir: Option<TempDir>,
    pub location: DatabaseLocation,
}

// Test bodies are `async move` blocks that capture only the fields they use; without a `Drop`
// impl, an unused `_dir` would be dropped (deleting the SQLite file) before the test runs.
impl Drop for TestDb {
    fn drop(&mut self) {}
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let location = DatabaseLocation::Sqlite(dir.path().join("test.db"));
    let db = Db::connect("test", &location, 4).await.unwrap();
    outbox::install(&db).await.unwrap();
    TestDb { db, _dir: Some(dir), location }
}

/// A fresh schema in the PostgreSQL database at `RIFFLE_TEST_POSTGRES_URL`.
pub async fn postgres() -> Option<TestDb> {
    let url = external("RIFFLE_TEST_POSTGRES_URL")?;
    let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
    let location = DatabaseLocation::Postgres { url, schema: schema.clone() };
    let db = Db::connect(&schema, &location, 4).await.unwrap();
    outbox::install(&db).await.unwrap();
    Some(TestDb { db, _dir: None, location })
}

/// Reopens the same database, as a restarted process would.
pub async fn reopen(test: &TestDb) -> Db {
    let name = match &test.location {
        DatabaseLocation::Sqlite(_) => "test".to_owned(),
        DatabaseLocation::Postgres { schema, .. } => schema.clone(),
    };
    Db::connect(&name, &test.location, 4).await.unwrap()
}

/// Retries fast, so the suites see events parked within a second.
pub const RETRY: RetryPolicy =
    RetryPolicy { max_attempts: 3, first_backoff: Duration::from_millis(20), max_backoff: Duration::from_millis(80) };

pub fn memory_bus() -> Arc<dyn EventBus> {
    Arc::new(InProcessBus::new(RETRY))
}

/// A JetStream bus on its own stream, so tests never see each other's events.
pub async fn nats_bus() -> Option<Arc<dyn EventBus>> {
    let url = external("RIFFLE_TEST_NATS_URL")?;
    let stream = format!("T{}", uuid::Uuid::new_v4().simple());
    Some(Arc::new(NatsBus::connect(&url, &stream, RETRY).await.unwrap()))
}

/// Runs `$body` against each relational backend available, as `async fn(TestDb)`.
#[macro_export]
macro_rules! for_each_db {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                ($body)($crate::backends::sqlite().await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::backends::postgres().await {
                    ($body)(db).await;
                }
            }
        }
    };
}
