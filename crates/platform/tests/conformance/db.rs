//! The relational port: the behaviour services rely on, identical on SQLite and PostgreSQL.

use platform::{StoreError, db::Backend};
use sqlx::Row;

use crate::backends::TestDb;

async fn create_table(t: &TestDb) {
    sqlx::raw_sql("CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL)")
        .execute(t.db.writer())
        .await
        .unwrap();
}

crate::for_each_db!(portable_types_round_trip, |t: TestDb| async move {
    create_table(&t).await;
    sqlx::query("INSERT INTO items (id, name, n) VALUES ($1, $2, $3)")
        .bind("a")
        .bind("名前 ☃")
        .bind(i64::MAX)
        .execute(t.db.writer())
        .await
        .unwrap();
    let row = sqlx::query("SELECT name, n FROM items WHERE id = $1").bind("a").fetch_one(t.db.reader()).await.unwrap();
    assert_eq!(row.get::<String, _>("name"), "名前 ☃");
    assert_eq!(row.get::<i64, _>("n"), i64::MAX);
});

crate::for_each_db!(unique_violations_are_conflicts, |t: TestDb| async move {
    create_table(&t).await;
    let insert = |id: &'static str| {
        sqlx::query("INSERT INTO items (id, name, n) VALUES ($1, 'same', 1)").bind(id).execute(t.db.writer())
    };
    insert("a").await.unwrap();
    let err = StoreError::from_sqlx(insert("b").await.unwrap_err());
    assert!(matches!(&err, StoreError::Conflict(what) if what.contains("name")), "{err:?}");
});

crate::for_each_db!(a_rolled_back_transaction_leaves_nothing, |t: TestDb| async move {
    create_table(&t).await;
    let writer = platform::Writer::new(t.db.clone(), Default::default());
    let mut change = writer.begin().await.unwrap();
    sqlx::query("INSERT INTO items (id, name, n) VALUES ('a', 'a', 1)").execute(change.conn()).await.unwrap();
    let deleted = contracts::identity::UserRef { user_id: uuid::Uuid::nil() };
    change.emit(&contracts::identity::IdentityEvent::UserDeleted(deleted)).await.unwrap();
    change.rollback().await.unwrap();
    let items: i64 = sqlx::query("SELECT COUNT(*) AS c FROM items").fetch_one(t.db.reader()).await.unwrap().get("c");
    let events: i64 =
        sqlx::query("SELECT COUNT(*) AS c FROM riffle_outbox").fetch_one(t.db.reader()).await.unwrap().get("c");
    assert_eq!((items, events), (0, 0), "the change and its event roll back together");
});

crate::for_each_db!(concurrent_writers_all_commit, |t: TestDb| async move {
    create_table(&t).await;
    let writers = (0..16).map(|i| {
        let db = t.db.clone();
        tokio::spawn(async move {
            let mut tx = db.begin().await.unwrap();
            sqlx::query("INSERT INTO items (id, name, n) VALUES ($1, $1, $2)")
                .bind(format!("w{i}"))
                .bind(i64::from(i))
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        })
    });
    for writer in writers {
        writer.await.unwrap();
    }
    // Aggregates must be cast: PostgreSQL sums BIGINT as NUMERIC, which the portable driver cannot read.
    let sum: i64 =
        sqlx::query("SELECT CAST(SUM(n) AS BIGINT) AS s FROM items").fetch_one(t.db.reader()).await.unwrap().get("s");
    assert_eq!(sum, (0..16).sum::<i64>());
});

crate::for_each_db!(the_backend_is_reported, |t: TestDb| async move {
    let expected = match t.location {
        platform::config::DatabaseLocation::Sqlite(_) => Backend::Sqlite,
        platform::config::DatabaseLocation::Postgres { .. } => Backend::Postgres,
    };
    assert_eq!(t.db.backend(), expected);
    assert!(t.db.ping().await.is_ok());
});
