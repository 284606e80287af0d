//! Snapshots: the whole keyspace in one checksummed file, written
//! atomically and validated completely before anything is served from it.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! header (24 bytes): magic "RFLZSET\0" | version u32 | reserved u32 | body_len u32 | crc32(body) u32
//! body:   key_count u64, then per key:
//!           key_len u32 | key bytes | expire_at_ms u64 (0 = none)
//!           kind u8 (0 = integer members, 1 = byte members) | entry_count u32
//!           entries: score_key u64 | member (u64, or len u32 + bytes)
//! ```
//!
//! `body_len` must equal the bytes after the header exactly, so truncation
//! and trailing junk are caught before the checksum is computed; being a
//! `u32`, it limits a snapshot to 4 GiB, which `save` reports as an error.
//! Entries are written in set order; loading rejects out-of-order or
//! duplicate entries, invalid score images and unknown kinds, so even a file
//! with a valid checksum but wrong content cannot produce a set that
//! violates the engine's invariants.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::entry::Entry;
use crate::keyspace::{Config, Keyspace};
use crate::member::Member;
use crate::score::ScoreKey;
use crate::zset::{Encoding, ZSet};

const MAGIC: &[u8; 8] = b"RFLZSET\0";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 24;

/// Why a snapshot could not be written or read. Loading reports any damage
/// as one of these; the caller logs it and starts empty.
#[derive(Debug)]
pub enum SnapshotError {
    /// Reading or writing the file failed.
    Io(io::Error),
    /// The file does not start with the snapshot magic (foreign file).
    NotASnapshot,
    /// Written by an unknown format version.
    UnsupportedVersion(u32),
    /// Shorter or longer than its header says.
    Truncated {
        /// Body length the header announces.
        expected: u64,
        /// Body length present.
        actual: u64,
    },
    /// The body does not match its checksum.
    ChecksumMismatch,
    /// Checksum fine, content invalid (malformed record, unsorted set...).
    Corrupt(&'static str),
    /// The keyspace does not fit the format (a field over 4 GiB).
    TooLarge(&'static str),
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Io(e) => write!(f, "snapshot I/O error: {e}"),
            SnapshotError::NotASnapshot => f.write_str("not a sorted-set snapshot (bad magic)"),
            SnapshotError::UnsupportedVersion(v) => write!(f, "unsupported snapshot version {v}"),
            SnapshotError::Truncated { expected, actual } => {
                write!(f, "snapshot truncated or padded: body is {actual} bytes, header says {expected}")
            }
            SnapshotError::ChecksumMismatch => f.write_str("snapshot checksum mismatch"),
            SnapshotError::Corrupt(what) => write!(f, "snapshot corrupt: {what}"),
            SnapshotError::TooLarge(what) => {
                write!(f, "keyspace too large for snapshot format: {what}")
            }
        }
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SnapshotError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for SnapshotError {
    fn from(e: io::Error) -> Self {
        SnapshotError::Io(e)
    }
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn len_u32(n: usize) -> Result<u32, SnapshotError> {
    u32::try_from(n).map_err(|_| SnapshotError::TooLarge("record over 4 GiB"))
}

/// Serialises every live key into a body buffer. Each shard is read-locked
/// in turn, so every set is internally consistent; keys in different shards
/// may be captured at slightly different moments.
fn encode_body(ks: &Keyspace) -> Result<Vec<u8>, SnapshotError> {
    let now = ks.now_ms();
    let mut body = Vec::new();
    put_u64(&mut body, 0); // key count, patched below
    let mut keys = 0u64;
    for index in 0..ks.shard_count() {
        let shard = ks.shard_at(index).read();
        for key in shard.sets.keys() {
            let Some(set) = shard.get(key, now) else {
                continue;
            };
            keys += 1;
            put_u32(&mut body, len_u32(key.len())?);
            body.extend_from_slice(key);
            put_u64(&mut body, shard.expires.get(key).copied().unwrap_or(0));
            let count = len_u32(set.len())?;
            let is_int = matches!(set.encoding(), Encoding::IntPacked | Encoding::IntTree);
            body.push(if is_int { 0 } else { 1 });
            put_u32(&mut body, count);
            let mut failed = false;
            if is_int {
                set.for_each_int(&mut |e| {
                    put_u64(&mut body, e.score.0);
                    put_u64(&mut body, e.member);
                });
            } else {
                set.for_each_bytes(&mut |e| {
                    put_u64(&mut body, e.score.0);
                    match u32::try_from(e.member.len()) {
                        Ok(n) => put_u32(&mut body, n),
                        Err(_) => failed = true,
                    }
                    body.extend_from_slice(&e.member);
                });
            }
            if failed {
                return Err(SnapshotError::TooLarge("member over 4 GiB"));
            }
        }
    }
    body[..8].copy_from_slice(&keys.to_le_bytes());
    Ok(body)
}

/// A bounds-checked reader over the body.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        if n > self.bytes.len() {
            return Err(SnapshotError::Corrupt("record runs past end of body"));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, SnapshotError> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    fn score(&mut self) -> Result<ScoreKey, SnapshotError> {
        let key = ScoreKey(self.u64()?);
        let value = key.to_f64();
        // Only images of non-NaN doubles (with -0 canonicalised) are valid.
        if value.is_nan() || ScoreKey::from_f64(value) != key {
            return Err(SnapshotError::Corrupt("invalid score"));
        }
        Ok(key)
    }
}

fn check_sorted<M: Member>(entries: &[Entry<M>]) -> Result<(), SnapshotError> {
    if entries.windows(2).all(|w| w[0].is_before(&w[1])) {
        Ok(())
    } else {
        Err(SnapshotError::Corrupt("set entries out of order or duplicated"))
    }
}

fn decode_body(body: &[u8], ks: &Keyspace) -> Result<(), SnapshotError> {
    let packed_max = ks.packed_max();
    let mut r = Reader { bytes: body };
    let keys = r.u64()?;
    for _ in 0..keys {
        let key_len = r.u32()? as usize;
        let key: Box<[u8]> = r.take(key_len)?.into();
        let expire = r.u64()?;
        let kind = r.u8()?;
        let count = r.u32()? as usize;
        if count == 0 {
            return Err(SnapshotError::Corrupt("empty set"));
        }
        // Cap preallocation by what the remaining bytes could hold.
        let capacity = count.min(r.bytes.len() / 16);
        let set = match kind {
            0 => {
                let mut entries = Vec::with_capacity(capacity);
                for _ in 0..count {
                    let score = r.score()?;
                    entries.push(Entry::new(score, r.u64()?));
                }
                check_sorted(&entries)?;
                ZSet::from_sorted_ints(entries, packed_max)
            }
            1 => {
                let mut entries = Vec::with_capacity(capacity);
                for _ in 0..count {
                    let score = r.score()?;
                    let len = r.u32()? as usize;
                    entries.push(Entry::new(score, Box::<[u8]>::from(r.take(len)?)));
                }
                check_sorted(&entries)?;
                ZSet::from_sorted_bytes(entries, packed_max)
            }
            _ => return Err(SnapshotError::Corrupt("unknown set kind")),
        };
        ks.write(&key, |shard, _| {
            if shard.sets.contains_key(&key) {
                return Err(SnapshotError::Corrupt("duplicate key"));
            }
            shard.sets.insert(key.clone(), set);
            if expire != 0 {
                shard.expires.insert(key.clone(), expire);
            }
            Ok(())
        })?;
    }
    if !r.bytes.is_empty() {
        return Err(SnapshotError::Corrupt("trailing bytes after last key"));
    }
    Ok(())
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp.{}", std::process::id()));
    path.with_file_name(name)
}

impl Keyspace {
    /// Writes the whole keyspace to `path` atomically: a temporary file in
    /// the same directory is written and fsynced, then renamed over `path`,
    /// then the directory is fsynced. A crash leaves either the old or the
    /// new snapshot, never a mix. Expired keys are left out.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
        let path = path.as_ref();
        let body = encode_body(self)?;
        let body_len = u32::try_from(body.len()).map_err(|_| SnapshotError::TooLarge("snapshot over 4 GiB"))?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        put_u32(&mut header, VERSION);
        put_u32(&mut header, 0);
        put_u32(&mut header, body_len);
        put_u32(&mut header, crc32fast::hash(&body));
        let tmp = temp_path(path);
        let result = (|| -> io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&header)?;
            file.write_all(&body)?;
            file.sync_all()?;
            drop(file);
            fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        Ok(result?)
    }

    /// Reads a snapshot written by [`Keyspace::save`] into a new keyspace.
    /// Any damage (foreign file, wrong version, truncation, bit flips,
    /// malformed content) is one [`SnapshotError`]; nothing partial is
    /// returned.
    pub fn load(path: impl AsRef<Path>, config: Config) -> Result<Keyspace, SnapshotError> {
        let keyspace = Keyspace::new(config);
        keyspace.load_into(&fs::read(path)?)?;
        Ok(keyspace)
    }

    /// Like [`Keyspace::load`] but into this (empty) keyspace, keeping its
    /// clock; on error the keyspace is left empty.
    pub fn load_from(&self, path: impl AsRef<Path>) -> Result<(), SnapshotError> {
        self.load_into(&fs::read(path)?)
    }

    fn load_into(&self, file: &[u8]) -> Result<(), SnapshotError> {
        if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
            return Err(SnapshotError::NotASnapshot);
        }
        if file.len() < HEADER_LEN {
            return Err(SnapshotError::Truncated { expected: 0, actual: 0 });
        }
        let word = |at: usize| u32::from_le_bytes(file[at..at + 4].try_into().expect("4 bytes"));
        let version = word(8);
        if version != VERSION {
            return Err(SnapshotError::UnsupportedVersion(version));
        }
        let expected = u64::from(word(16));
        let body = &file[HEADER_LEN..];
        if body.len() as u64 != expected {
            return Err(SnapshotError::Truncated { expected, actual: body.len() as u64 });
        }
        if crc32fast::hash(body) != word(20) {
            return Err(SnapshotError::ChecksumMismatch);
        }
        let result = decode_body(body, self);
        if result.is_err() {
            self.flush();
        }
        result
    }
}
