//! The one way a service changes its data: a [`Change`] is a transaction of the service's
//! database together with the events it emits (written to the outbox in the same transaction)
//! and, for a consumer, the claim of the event it applies (the inbox). Committing it wakes the
//! service's relay when it emitted anything, so events leave at once instead of at the next poll.
//!
//! Store modules open changes ([`Writer::begin`]) and commit them; nothing else in a service
//! holds a transaction.

use contracts::EventFamily;
use sqlx::{Any, AnyConnection, Transaction};

use crate::{
    db::{Db, StoreError},
    events::{Event, inbox, outbox::RelayHandle},
};

/// A service's database with its relay.
#[derive(Clone, Debug)]
pub struct Writer {
    db: Db,
    relay: RelayHandle,
}

impl Writer {
    pub fn new(db: Db, relay: RelayHandle) -> Self {
        Self { db, relay }
    }

    /// The database, for reads.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Starts a change.
    pub async fn begin(&self) -> Result<Change, StoreError> {
        Ok(Change { tx: self.db.begin().await?, relay: self.relay.clone(), emitted: false })
    }
}

/// One transaction, with its events.
pub struct Change {
    tx: Transaction<'static, Any>,
    relay: RelayHandle,
    emitted: bool,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Change").field("emitted", &self.emitted).finish()
    }
}

impl Change {
    /// The connection to run this change's statements on. Inside a change, read through it too:
    /// a second pooled connection while holding this one can exhaust the pool under load.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Emits `event` with this change: it is published if and only if the change commits.
    pub async fn emit<F: EventFamily>(&mut self, event: &F) -> Result<Event, StoreError> {
        self.emitted = true;
        crate::events::outbox::enqueue(&mut self.tx, event).await
    }

    /// Claims `event` for `consumer` (see [`inbox::claim`]): `false` when it was applied before,
    /// and the caller then changes nothing.
    pub async fn claim(&mut self, consumer: &str, event: &Event) -> Result<bool, StoreError> {
        inbox::claim(&mut self.tx, consumer, event).await
    }

    /// Commits, then wakes the relay if events were emitted.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await.map_err(StoreError::from_sqlx)?;
        if self.emitted {
            self.relay.wake();
        }
        Ok(())
    }

    /// Drops the change (dropping it without committing does the same).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx.rollback().await.map_err(StoreError::from_sqlx)
    }
}
