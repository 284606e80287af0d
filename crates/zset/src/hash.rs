//! A small, fast, seeded hasher for member indexes.
//!
//! `std`'s SipHash costs more than the rest of a timeline insert. Members
//! are mostly `u64` post ids, for which one folded 128-bit multiply gives
//! good bucket and tag bits. The seed is random per process so that crafted
//! byte-string members cannot be precomputed to collide.

use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn fold_mul(a: u64, b: u64) -> u64 {
    let full = u128::from(a) * u128::from(b);
    (full as u64) ^ ((full >> 64) as u64)
}

fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        // `RandomState` is seeded from the OS; hashing a constant extracts it.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0x5EED);
        hasher.finish() | 1
    })
}

/// Builds [`MemberHasher`]s sharing the process seed.
#[derive(Clone, Copy, Debug)]
pub struct MemberHashBuilder {
    seed: u64,
}

impl Default for MemberHashBuilder {
    fn default() -> Self {
        MemberHashBuilder { seed: process_seed() }
    }
}

impl BuildHasher for MemberHashBuilder {
    type Hasher = MemberHasher;

    #[inline]
    fn build_hasher(&self) -> MemberHasher {
        MemberHasher { state: self.seed }
    }
}

/// Folded-multiply hasher; see the module documentation.
#[derive(Clone, Copy, Debug)]
pub struct MemberHasher {
    state: u64,
}

impl Hasher for MemberHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }

    #[inline]
    fn write_u64(&mut self, value: u64) {
        self.state = fold_mul(self.state ^ value, MULTIPLIER);
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("chunk of 8"));
            self.write_u64(word);
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.write_u64(u64::from_le_bytes(tail) ^ ((rest.len() as u64) << 56));
    }
}
