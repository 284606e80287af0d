//! The relational port: one database per service, SQLite (WAL) by default, PostgreSQL by URL.
//!
//! Queries are written once against sqlx's `Any` driver with `$1` placeholders, which both
//! dialects accept, and portable types (`i64`, `f64`, `String`, `bool`, `Vec<u8>`): times are
//! unix milliseconds and ids are text. Where the dialects really differ, callers branch on
//! [`Db::backend`]. Each service ships its migrations (portable SQL) and runs them itself.
//!
//! SQLite allows one writer at a time; instead of letting concurrent write transactions fail with
//! `SQLITE_BUSY` when a deferred transaction upgrades its lock, every write goes through a
//! single-connection writer pool while reads use the rest. PostgreSQL uses one pool for both.

use std::{path::Path, time::Duration};

use sqlx::{
    Any, AnyPool, Transaction,
    any::{AnyPoolOptions, install_default_drivers},
    migrate::Migrator,
};

use crate::config::DatabaseLocation;

/// Which engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A service's own database.
#[derive(Clone)]
pub struct Db {
    reader: AnyPool,
    writer: AnyPool,
    backend: Backend,
    /// What `/readyz` calls this database (e.g. `identity.database`).
    label: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).field("label", &self.label).finish()
    }
}

/// Errors of the relational port, as the domain needs to tell them apart.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; carries the constraint or index name when known.
    #[error("conflict on {0}")]
    Conflict(String),
    #[error("record not found")]
    NotFound,
    #[error(transparent)]
    Other(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        StoreError::from_sqlx(err)
    }
}

impl StoreError {
    /// Classifies a sqlx error: unique violations become [`StoreError::Conflict`].
    pub fn from_sqlx(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                // PostgreSQL names the constraint; SQLite puts `table.column` in the message.
                let name = db.constraint().map(str::to_owned).unwrap_or_else(|| db.message().to_owned());
                StoreError::Conflict(name)
            }
            _ => StoreError::Other(err),
        }
    }
}

impl StoreError {
    /// A stored value that does not decode into its type.
    pub fn decode(column: &str, err: impl std::fmt::Display) -> Self {
        StoreError::Other(sqlx::Error::ColumnDecode { index: column.to_owned(), source: err.to_string().into() })
    }
}

/// Typed reads of the portable column types: ids stored as text (UUIDs) or `BIGINT` (post ids),
/// and JSON stored as text.
pub trait RowExt {
    fn uuid(&self, column: &str) -> Result<uuid::Uuid, StoreError>;
    fn opt_uuid(&self, column: &str) -> Result<Option<uuid::Uuid>, StoreError>;
    fn post_id(&self, column: &str) -> Result<contracts::PostId, StoreError>;
    fn opt_post_id(&self, column: &str) -> Result<Option<contracts::PostId>, StoreError>;
    fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, StoreError>;
}

impl RowExt for sqlx::any::AnyRow {
    fn uuid(&self, column: &str) -> Result<uuid::Uuid, StoreError> {
        let text: String = sqlx::Row::try_get(self, column)?;
        text.parse().map_err(|e| StoreError::decode(column, e))
    }

    fn opt_uuid(&self, column: &str) -> Result<Option<uuid::Uuid>, StoreError> {
        let text: Option<String> = sqlx::Row::try_get(self, column)?;
        text.map(|t| t.parse().map_err(|e| StoreError::decode(column, e))).transpose()
    }

    fn post_id(&self, column: &str) -> Result<contracts::PostId, StoreError> {
        let raw: i64 = sqlx::Row::try_get(self, column)?;
        contracts::PostId::from_u64(raw as u64).map_err(|e| StoreError::decode(column, e))
    }

    fn opt_post_id(&self, column: &str) -> Result<Option<contracts::PostId>, StoreError> {
        let raw: Option<i64> = sqlx::Row::try_get(self, column)?;
        raw.map(|r| contracts::PostId::from_u64(r as u64).map_err(|e| StoreError::decode(column, e))).transpose()
    }

    fn json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        let text: String = sqlx::Row::try_get(self, column)?;
        serde_json::from_str(&text).map_err(|e| StoreError::decode(column, e))
    }
}

/// JSON for a text column.
pub fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("stored values serialize")
}

/// Why a database could not be opened. The message says what to fix.
#[derive(Debug, thiserror::Error)]
#[error("{label}: {message}")]
pub struct ConnectError {
    label: String,
    message: String,
}

impl Db {
    /// Opens (creating if needed) the database of `service` and checks that it answers.
    pub async fn connect(service: &str, location: &DatabaseLocation, max_connections: u32) -> Result<Db, ConnectError> {
        install_default_drivers();
        let label = format!("{service}.database");
        let fail = |message: String| ConnectError { label: label.clone(), message };
        match location {
            DatabaseLocation::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| fail(format!("cannot create data directory {}: {e}", dir.display())))?;
                }
                let url = sqlite_url(path);
                let options = || {
                    AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10)).after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // WAL lets readers run alongside the writer; NORMAL is durable in WAL mode
                            // except for the last transactions on power loss, which the outbox tolerates.
                            sqlx::query(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .execute(conn)
                            .await?;
                            Ok(())
                        })
                    })
                };
                let writer = options()
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .map_err(|e| fail(format!("cannot open SQLite file {}: {e}", path.display())))?;
                let reader = options()
                    .max_connections(max_connections.max(2))
                    .connect(&url)
                    .await
                    .map_err(|e| fail(format!("cannot open SQLite file {}: {e}", path.display())))?;
                Ok(Db { reader, writer, backend: Backend::Sqlite, label })
            }
            DatabaseLocation::Postgres { url, schema } => {
                let quoted = quote_ident(schema);
                // Create the schema before the pool sets it as the search path on every connection.
                let bootstrap = AnyPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await
                    .map_err(|e| fail(format!("cannot reach PostgreSQL at {}: {e}", crate::config::redact_url(url))))?;
                sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {quoted}"))
                    .execute(&bootstrap)
                    .await
                    .or_else(|e| match &e {
                        // Two services creating their schemas at the same moment can race.
                        sqlx::Error::Database(db) if db.is_unique_violation() => Ok(Default::default()),
                        _ => Err(e),
                    })
                    .map_err(|e| fail(format!("cannot create schema {schema}: {e}")))?;
                bootstrap.close().await;
                let set_path = format!("SET search_path TO {quoted}");
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |conn, _meta| {
                        let set_path = set_path.clone();
                        Box::pin(async move {
                            sqlx::query(&set_path).execute(&mut *conn).await?;
                            // "already exists, skipping" and the like are not worth a log line.
                            sqlx::query("SET client_min_messages TO warning").execute(conn).await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await
                    .map_err(|e| fail(format!("cannot reach PostgreSQL at {}: {e}", crate::config::redact_url(url))))?;
                Ok(Db { reader: pool.clone(), writer: pool, backend: Backend::Postgres, label })
            }
        }
    }

    /// Applies a service's migrations. They are written in SQL that both dialects accept; a
    /// service whose schema ever needs dialect-specific SQL picks the migrator by [`Db::backend`].
    pub async fn migrate(&self, migrator: &Migrator) -> anyhow::Result<()> {
        migrator.run(&self.writer).await.map_err(|e| anyhow::anyhow!("{}: migration failed: {e}", self.label))?;
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The pool for reads (and single-statement writes that need no transaction on PostgreSQL).
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// The pool for writes.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.writer.begin().await.map_err(StoreError::from_sqlx)
    }

    /// Checks that the database answers, for `/readyz`.
    pub async fn ping(&self) -> Result<(), String> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map(|_| ()).map_err(|e| e.to_string())
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Milliseconds since the Unix epoch: the one time representation stored in every table.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Converts stored milliseconds back to a timestamp for the API.
pub fn from_ms(ms: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// A `WHERE` clause of `AND`ed conditions whose `?` placeholders become numbered parameters, for
/// list endpoints with optional filters.
#[derive(Debug, Default)]
pub struct Conditions {
    parts: Vec<String>,
    binds: Vec<String>,
}

impl Conditions {
    /// Adds `template`; each `?` in it takes the next of `values`.
    pub fn add(&mut self, template: &str, values: impl IntoIterator<Item = String>) -> &mut Self {
        let mut values = values.into_iter();
        let mut sql = String::with_capacity(template.len() + 4);
        for ch in template.chars() {
            if ch == '?' {
                self.binds.push(values.next().expect("a value for every placeholder"));
                sql.push_str(&format!("${}", self.binds.len()));
            } else {
                sql.push(ch);
            }
        }
        assert!(values.next().is_none(), "more values than placeholders in {template:?}");
        self.parts.push(sql);
        self
    }

    /// The clause, `TRUE` when there are no conditions.
    pub fn sql(&self) -> String {
        if self.parts.is_empty() { "1 = 1".to_owned() } else { self.parts.join(" AND ") }
    }

    /// Binds the values to a query built from [`Conditions::sql`].
    pub fn bind<'q>(
        &'q self,
        mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
        for value in &self.binds {
            query = query.bind(value.as_str());
        }
        query
    }
}

/// `$first, $first+1, …`: `count` numbered placeholders, for `IN (…)` lists and multi-row inserts.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn like_prefix(text: &str) -> String {
    format!("{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_number_their_placeholders_in_order() {
        let mut c = Conditions::default();
        assert_eq!(c.sql(), "1 = 1");
        c.add("a = ?", ["x".to_owned()]).add("(b LIKE ? OR c LIKE ?)", ["p%".to_owned(), "p%".to_owned()]);
        assert_eq!(c.sql(), "a = $1 AND (b LIKE $2 OR c LIKE $3)");
        assert_eq!(like_prefix("50%_a\\"), "50\\%\\_a\\\\%");
        assert_eq!(placeholders(3, 2), "$3, $4");
        assert_eq!(placeholders(1, 0), "");
    }
}
