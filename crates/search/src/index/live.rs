//! The posts index being served, and the one a rebuild fills beside it until it takes its
//! place at once.
//!
//! The served index lives in a directory of `search/` that the file `CURRENT` names. A rebuild
//! fills a new directory from content's pages while the consumers go on writing every change to
//! both; a post a consumer wrote during the rebuild is never overwritten by a page (the page
//! may have been read before the change). When the last page is in, `CURRENT` is replaced (a
//! write and a rename: atomic), the new index is served from the next query on, and the old
//! directory is removed.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
};

use super::{Opened, PostDoc, PostIndex};

const CURRENT: &str = "CURRENT";
/// The directory of an index made before `CURRENT` existed.
const FIRST: &str = "posts";

pub struct LivePosts {
    root: PathBuf,
    served: RwLock<(Arc<PostIndex>, String)>,
    building: Mutex<Option<Building>>,
}

struct Building {
    index: Arc<PostIndex>,
    dir: String,
    /// Posts the consumers wrote since the rebuild began.
    touched: HashSet<u64>,
}

impl LivePosts {
    /// The index `root/CURRENT` names (see [`PostIndex::open`]).
    pub fn open(root: &Path) -> anyhow::Result<(LivePosts, Opened)> {
        std::fs::create_dir_all(root)?;
        let dir = match std::fs::read_to_string(root.join(CURRENT)) {
            Ok(name) if is_index_dir(name.trim()) => name.trim().to_owned(),
            _ => FIRST.to_owned(),
        };
        let (index, opened) = PostIndex::open(&root.join(&dir))?;
        let live = LivePosts {
            root: root.to_owned(),
            served: RwLock::new((Arc::new(index), dir)),
            building: Mutex::default(),
        };
        Ok((live, opened))
    }

    /// The index queries read now.
    pub fn served(&self) -> Arc<PostIndex> {
        Arc::clone(&self.served.read().expect("not poisoned").0)
    }

    /// Writes a post's new version, to the index being built too. (The rebuild's lock is held
    /// throughout: a swap in between would lose the write.)
    pub fn upsert(&self, post: &PostDoc) -> tantivy::Result<()> {
        let mut building = self.building.lock().expect("not poisoned");
        self.served().upsert(std::slice::from_ref(post))?;
        if let Some(building) = building.as_mut() {
            building.touched.insert(post.id);
            building.index.upsert(std::slice::from_ref(post))?;
        }
        Ok(())
    }

    /// Removes a post, from the index being built too.
    pub fn remove(&self, id: u64) {
        let mut building = self.building.lock().expect("not poisoned");
        self.served().remove(id);
        if let Some(building) = building.as_mut() {
            building.touched.insert(id);
            building.index.remove(id);
        }
    }

    pub fn commit(&self) -> tantivy::Result<()> {
        self.served().commit()
    }

    pub fn is_building(&self) -> bool {
        self.building.lock().expect("not poisoned").is_some()
    }

    /// Starts a rebuild into a new directory; `false` when one is running already.
    pub fn begin(&self) -> anyhow::Result<bool> {
        let mut building = self.building.lock().expect("not poisoned");
        if building.is_some() {
            return Ok(false);
        }
        let dir = format!("posts-{}", time::OffsetDateTime::now_utc().unix_timestamp_nanos());
        let (index, _) = PostIndex::open(&self.root.join(&dir))?;
        *building = Some(Building { index: Arc::new(index), dir, touched: HashSet::new() });
        Ok(true)
    }

    /// Adds a page of posts to the index being built, but none a consumer wrote since the
    /// rebuild began: their version is newer.
    pub fn fill(&self, posts: &[PostDoc]) -> tantivy::Result<()> {
        let building = self.building.lock().expect("not poisoned");
        let Some(building) = building.as_ref() else { return Ok(()) };
        let fresh: Vec<PostDoc> = posts.iter().filter(|p| !building.touched.contains(&p.id)).cloned().collect();
        building.index.upsert(&fresh)
    }

    /// Serves the index built, and removes the one it replaces.
    pub fn finish(&self) -> anyhow::Result<()> {
        let mut building = self.building.lock().expect("not poisoned");
        let Some(built) = building.take() else { anyhow::bail!("no rebuild is running") };
        built.index.commit()?;
        let pointer = self.root.join(format!("{CURRENT}.new"));
        std::fs::write(&pointer, &built.dir)?;
        std::fs::rename(&pointer, self.root.join(CURRENT))?;
        let (_, old) = std::mem::replace(&mut *self.served.write().expect("not poisoned"), (built.index, built.dir));
        // Queries still running keep their files open; unlinked, they go when those end.
        if let Err(err) = std::fs::remove_dir_all(self.root.join(&old)) {
            tracing::warn!(error = %err, dir = old, "cannot remove the replaced search index");
        }
        Ok(())
    }

    /// Drops a rebuild that failed; the served index stays.
    pub fn abandon(&self) {
        if let Some(built) = self.building.lock().expect("not poisoned").take() {
            drop(built.index);
            let _ = std::fs::remove_dir_all(self.root.join(&built.dir));
        }
    }
}

fn is_index_dir(name: &str) -> bool {
    name == FIRST || name.strip_prefix("posts-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: u64, text: &str) -> PostDoc {
        PostDoc {
            id,
            author_id: "ada".into(),
            text: text.into(),
            tags: Vec::new(),
            language: None,
            visibility: "public".into(),
            has_media: false,
            created_at_ms: 1_767_225_600_000,
        }
    }

    fn found(live: &LivePosts, q: &str) -> Vec<u64> {
        let query = crate::domain::query::parse(q).unwrap();
        let mut ids: Vec<u64> = live
            .served()
            .hits(&query, &[], &super::super::Audience::default(), super::super::Order::Newest, None, 100)
            .unwrap()
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn a_rebuild_keeps_what_consumers_wrote_meanwhile_and_survives_a_restart() {
        let root = tempfile::tempdir().unwrap();
        let (live, opened) = LivePosts::open(root.path()).unwrap();
        assert_eq!(opened, Opened::Empty);
        live.upsert(&post(1, "stale copy")).unwrap();
        live.commit().unwrap();
        assert!(live.begin().unwrap());
        assert!(!live.begin().unwrap(), "one rebuild at a time");
        live.upsert(&post(2, "edited during the rebuild")).unwrap();
        live.remove(3);
        // The page was read before those changes.
        live.fill(&[post(2, "before the edit"), post(3, "deleted meanwhile"), post(4, "rust")]).unwrap();
        assert_eq!(found(&live, "stale"), [1], "the old index is served until the end");
        live.finish().unwrap();
        assert_eq!(found(&live, "stale"), Vec::<u64>::new(), "what content no longer has is gone");
        assert_eq!(found(&live, "edited"), [2]);
        assert_eq!(found(&live, "before"), Vec::<u64>::new());
        assert_eq!(found(&live, "deleted"), Vec::<u64>::new());
        assert_eq!(found(&live, "rust"), [4]);
        drop(live);
        let (reopened, opened) = LivePosts::open(root.path()).unwrap();
        assert_eq!(opened, Opened::Existing);
        assert_eq!(found(&reopened, "rust"), [4]);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2, "CURRENT and one index");
    }

    #[test]
    fn a_damaged_index_is_set_aside_and_reported_empty() {
        let root = tempfile::tempdir().unwrap();
        let (live, _) = LivePosts::open(root.path()).unwrap();
        live.upsert(&post(1, "rust")).unwrap();
        live.commit().unwrap();
        drop(live);
        std::fs::write(root.path().join(FIRST).join("meta.json"), b"{ not json").unwrap();
        let (live, opened) = LivePosts::open(root.path()).unwrap();
        assert_eq!(opened, Opened::Empty);
        assert!(live.served().is_empty());
    }
}
