//! The tantivy indexes: posts (with their tags) and people, each in its own directory under
//! the data directory, and a parsed query made into tantivy's with the same analysis the text
//! was indexed with.

mod live;
mod people;
mod posts;

pub use live::LivePosts;
pub use people::{PeopleIndex, PersonDoc, PersonHit};
pub use posts::{Audience, Hit, Order, PostDoc, PostIndex, SortKey, TagCount};

use std::path::Path;

use tantivy::{Index, schema::Schema};

use crate::domain::analyzer::{self, Mode};

/// The name the text analyzer is registered under.
const ANALYZER: &str = "riffle";

/// Whether an index was found as it was left, or had to be made empty (none yet, or one set
/// aside as unreadable): an empty one must be filled again before it can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Existing,
    Empty,
}

/// The index in `dir` with `schema`, created when there is none. One that cannot be opened
/// (damaged, or of an earlier schema) is set aside and an empty one made: never served broken.
fn open_dir(dir: &Path, schema: Schema) -> anyhow::Result<(Index, Opened)> {
    std::fs::create_dir_all(dir)?;
    let existed = Index::exists(&tantivy::directory::MmapDirectory::open(dir)?)?;
    let opened = tantivy::directory::MmapDirectory::open(dir)
        .map_err(anyhow::Error::from)
        .and_then(|d| Ok(Index::open_or_create(d, schema.clone())?));
    let index = match opened {
        Ok(index) => return Ok((index, if existed { Opened::Existing } else { Opened::Empty })),
        Err(err) => {
            let aside = dir.with_extension(format!("damaged-{}", time::OffsetDateTime::now_utc().unix_timestamp()));
            tracing::error!(error = format!("{err:#}"), dir = %dir.display(), aside = %aside.display(),
                "a search index cannot be opened; set aside, starting an empty one");
            std::fs::rename(dir, &aside)?;
            std::fs::create_dir_all(dir)?;
            Index::create_in_dir(dir, schema)?
        }
    };
    Ok((index, Opened::Empty))
}

fn register_analyzer(index: &Index) {
    index.tokenizers().register(ANALYZER, analyzer::analyzer(Mode::Index));
}
