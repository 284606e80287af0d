//! The graph's store: the only SQL of the service, one module per table family. Every change
//! is one `Change`: its rows and its events, committed together.

pub mod edges;
pub mod lists;
pub mod suggestions;
pub mod tags;
pub mod users;

use platform::{Db, Writer};

/// The graph's database and the way to change it.
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
