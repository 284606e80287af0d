//! Identity's store: the only SQL of the service, one module per table family. A change that
//! writes is one `Change` (its rows, its events, its audit entry), opened and committed here.

pub mod audit;
pub mod keys;
pub mod sessions;
pub mod throttle;
pub mod users;

use platform::{Db, Writer};

/// Identity's database and the way to change it.
#[derive(Clone, Debug)]
pub struct Store {
    writer: Writer,
}

impl Store {
    pub fn new(writer: Writer) -> Self {
        Self { writer }
    }

    pub fn db(&self) -> &Db {
        self.writer.db()
    }

    pub(crate) fn writer(&self) -> &Writer {
        &self.writer
    }
}
