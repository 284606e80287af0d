//! Snapshot round trips and every damage case: each must come back as one
//! error value, never a panic, never partial data.

use std::path::PathBuf;
use std::sync::Arc;

use zset::{Config, Keyspace, ManualClock, Order, SnapshotError};

/// A fresh directory per call: tests run in parallel and must not share one.
fn temp_dir(name: &str) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("zset-snapshot-{}-{name}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn populated() -> Keyspace {
    let ks = Keyspace::new(Config { packed_max_entries: 16, ..Config::default() });
    for user in 0..20u64 {
        for post in 0..(user * 7) {
            ks.timeline_push(format!("home:{user}").as_bytes(), post as f64, 1_000_000 + post, 100);
        }
    }
    ks.execute(&[b"ZADD", b"bytes", b"1", b"alpha", b"2", b"", b"-inf", b"\x00\xff", b"2", b"10"]);
    ks.execute(&[b"ZADD", b"big", b"1.5", b"x"]);
    for i in 0..500 {
        ks.execute(&[b"ZADD", b"big", i.to_string().as_bytes(), format!("m{i}").as_bytes()]);
    }
    ks
}

/// Every key's contents as (key, [(member, score)]).
type Dump = Vec<(String, Vec<(Vec<u8>, f64)>)>;

fn dump(ks: &Keyspace) -> Dump {
    let mut keys: Vec<String> = (0..20).map(|u| format!("home:{u}")).collect();
    keys.extend(["bytes".into(), "big".into(), "expiring".into()]);
    keys.into_iter()
        .map(|k| {
            let items =
                ks.range_by_rank(k.as_bytes(), 0, -1, Order::Asc).into_iter().map(|e| (e.member, e.score)).collect();
            (k, items)
        })
        .collect()
}

#[test]
fn round_trip_preserves_everything() {
    let dir = temp_dir("roundtrip");
    let path = dir.join("zset.snap");
    let ks = populated();
    ks.execute(&[b"ZADD", b"expiring", b"1", b"a"]);
    ks.execute(&[b"EXPIRE", b"expiring", b"1000"]);
    ks.save(&path).unwrap();
    let loaded = Keyspace::load(&path, Config::default()).unwrap();
    assert_eq!(dump(&loaded), dump(&ks));
    assert_eq!(loaded.key_count(), ks.key_count());
    assert!(matches!(loaded.ttl(b"expiring"), zset::Ttl::Millis(ms) if ms > 990_000));
    // Saving again over the old file works (atomic replace).
    loaded.save(&path).unwrap();
    assert_eq!(dump(&Keyspace::load(&path, Config::default()).unwrap()), dump(&ks));
    assert!(std::fs::read_dir(&dir).unwrap().count() == 1, "temporary file left behind");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn expired_keys_are_not_saved() {
    let dir = temp_dir("expired");
    let path = dir.join("zset.snap");
    let clock = ManualClock::new(10_000);
    let ks = Keyspace::with_clock(Config::default(), Arc::new(clock.clone()));
    ks.execute(&[b"ZADD", b"a", b"1", b"x"]);
    ks.execute(&[b"ZADD", b"b", b"1", b"x"]);
    ks.execute(&[b"EXPIRE", b"a", b"1"]);
    clock.advance(2_000);
    ks.save(&path).unwrap();
    let loaded = Keyspace::with_clock(Config::default(), Arc::new(clock));
    loaded.load_from(&path).unwrap();
    assert_eq!(loaded.key_count(), 1);
    assert_eq!(loaded.zcard(b"b"), 1);
    std::fs::remove_dir_all(dir).ok();
}

fn load_bytes(name: &str, bytes: &[u8]) -> Result<Keyspace, SnapshotError> {
    let dir = temp_dir(name);
    let path = dir.join("zset.snap");
    std::fs::write(&path, bytes).unwrap();
    let result = Keyspace::load(&path, Config::default());
    std::fs::remove_dir_all(dir).ok();
    result
}

fn saved_bytes() -> Vec<u8> {
    let dir = temp_dir("source");
    let path = dir.join("zset.snap");
    populated().save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::remove_dir_all(dir).ok();
    bytes
}

#[test]
fn missing_file_is_an_io_error() {
    let err = Keyspace::load("/nonexistent/zset.snap", Config::default()).unwrap_err();
    assert!(matches!(err, SnapshotError::Io(_)), "{err}");
}

#[test]
fn foreign_file_is_rejected() {
    for bytes in [&b""[..], b"hello world, not a snapshot at all", b"REDIS0011\xfa\x09redis-ver"] {
        let err = load_bytes("foreign", bytes).unwrap_err();
        assert!(matches!(err, SnapshotError::NotASnapshot), "{err}");
    }
}

#[test]
fn other_version_is_rejected() {
    let mut bytes = saved_bytes();
    bytes[8] = 99;
    let err = load_bytes("version", &bytes).unwrap_err();
    assert!(matches!(err, SnapshotError::UnsupportedVersion(99)), "{err}");
}

#[test]
fn truncation_at_any_point_is_detected() {
    let bytes = saved_bytes();
    for cut in [9, 20, 24, 25, bytes.len() / 2, bytes.len() - 1] {
        let err = load_bytes("truncated", &bytes[..cut]).unwrap_err();
        assert!(matches!(err, SnapshotError::Truncated { .. }), "cut {cut}: {err}");
    }
    let mut padded = bytes.clone();
    padded.push(0);
    assert!(matches!(load_bytes("padded", &padded).unwrap_err(), SnapshotError::Truncated { .. }));
}

#[test]
fn bit_flips_are_detected() {
    let bytes = saved_bytes();
    let mut rng = fastrand::Rng::with_seed(3);
    for _ in 0..50 {
        let mut damaged = bytes.clone();
        let at = rng.usize(24..damaged.len());
        damaged[at] ^= 1 << rng.u8(0..8);
        let err = load_bytes("flip", &damaged).unwrap_err();
        assert!(matches!(err, SnapshotError::ChecksumMismatch), "{err}");
    }
    // A damaged checksum field itself.
    let mut damaged = bytes.clone();
    damaged[21] ^= 0x40;
    assert!(matches!(load_bytes("crc", &damaged).unwrap_err(), SnapshotError::ChecksumMismatch));
}

/// Rewrites a body and fixes up the header, simulating a buggy writer.
fn with_body(body: &[u8]) -> Vec<u8> {
    let mut out = b"RFLZSET\0".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fn int_set_body(entries: &[(f64, u64)]) -> Vec<u8> {
    let mut body = 1u64.to_le_bytes().to_vec();
    body.extend_from_slice(&1u32.to_le_bytes());
    body.push(b'k');
    body.extend_from_slice(&0u64.to_le_bytes());
    body.push(0);
    body.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for (score, member) in entries {
        let bits = score.to_bits();
        let key = if bits >> 63 == 0 { bits | 1 << 63 } else { !bits };
        body.extend_from_slice(&key.to_le_bytes());
        body.extend_from_slice(&member.to_le_bytes());
    }
    body
}

#[test]
fn valid_checksum_but_invalid_content_is_rejected() {
    // Sanity: the hand-built format loads when it is right.
    let ks = load_bytes("good", &with_body(&int_set_body(&[(1.0, 5), (2.0, 3)]))).unwrap();
    assert_eq!(ks.zscore(b"k", b"3"), Some(2.0));
    // Out of order, duplicate member, empty set, NaN score, unknown kind,
    // record past the end, trailing garbage.
    let cases: Vec<Vec<u8>> = vec![
        int_set_body(&[(2.0, 5), (1.0, 3)]),
        int_set_body(&[(1.0, 5), (1.0, 5)]),
        int_set_body(&[]),
        {
            let mut b = int_set_body(&[(1.0, 5)]);
            let n = b.len();
            b[n - 16..n - 8].copy_from_slice(&u64::MAX.to_le_bytes()); // image of a NaN
            b
        },
        {
            let mut b = int_set_body(&[(1.0, 5)]);
            b[8 + 4 + 1 + 8] = 7;
            b
        },
        {
            let mut b = int_set_body(&[(1.0, 5)]);
            b.truncate(b.len() - 3);
            b
        },
        {
            let mut b = int_set_body(&[(1.0, 5)]);
            b.push(0);
            b
        },
        {
            let mut b = int_set_body(&[(1.0, 5)]);
            b[..8].copy_from_slice(&u64::MAX.to_le_bytes()); // absurd key count
            b
        },
    ];
    for (i, body) in cases.iter().enumerate() {
        let err = load_bytes("content", &with_body(body)).unwrap_err();
        assert!(matches!(err, SnapshotError::Corrupt(_)), "case {i}: {err}");
    }
}
