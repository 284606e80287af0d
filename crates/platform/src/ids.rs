//! Identifiers shared across services.
//!
//! # Post ids order exactly in every timeline store
//! A Redis score is a double, exact for integers only up to 2^53, so a 64-bit post id cannot be
//! its own score. Instead a [`PostId`] carries its creation time in milliseconds, which is the
//! score, and ids are built so that every one has 19 decimal digits: for members with equal
//! scores Redis compares the decimal strings byte by byte, which for equal lengths is numeric
//! order. So (score, member) orders entries exactly like the ids themselves, in either store.

use rand::Rng;

/// A time-ordered 64-bit post id: `2^60 | milliseconds since 2024-01-01 << 20 | 20 low bits`.
/// The leading bit pins every id to 19 decimal digits (see the crate docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostId(u64);

/// 2024-01-01T00:00:00Z in unix milliseconds.
pub const EPOCH_MS: u64 = 1_704_067_200_000;
const MARKER: u64 = 1 << 60;
const LOW_BITS: u32 = 20;
/// 40 bits of milliseconds: until 2058.
const MAX_MS: u64 = (1 << 40) - 1;

/// Why a `u64` is not a post id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a Riffle post id")]
pub struct InvalidPostId(pub u64);

impl PostId {
    /// The id for a post created at `unix_ms`, made unique by `low` (a per-process sequence or
    /// random bits; only the low 20 bits are used).
    pub fn new(unix_ms: u64, low: u32) -> Self {
        let ms = unix_ms.saturating_sub(EPOCH_MS).min(MAX_MS);
        PostId(MARKER | (ms << LOW_BITS) | u64::from(low & ((1 << LOW_BITS) - 1)))
    }

    pub fn from_u64(raw: u64) -> Result<Self, InvalidPostId> {
        if raw >> 60 == 1 { Ok(PostId(raw)) } else { Err(InvalidPostId(raw)) }
    }

    /// A new id for a post created now, with random low bits (unique across processes but for
    /// a 1-in-a-million clash within one millisecond, which the owner's unique key catches).
    pub fn generate() -> Self {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        PostId::new(now, rand::thread_rng().r#gen())
    }

    pub fn get(self) -> u64 {
        self.0
    }

    /// Creation time, unix milliseconds.
    pub fn unix_ms(self) -> u64 {
        ((self.0 & !MARKER) >> LOW_BITS) + EPOCH_MS
    }

    /// The sorted-set score: milliseconds since [`EPOCH_MS`], exact in a double.
    pub fn score(self) -> f64 {
        ((self.0 & !MARKER) >> LOW_BITS) as f64
    }
}

impl std::fmt::Display for PostId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for PostId {
    type Err = InvalidPostId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<u64>().map_err(|_| InvalidPostId(0)).and_then(PostId::from_u64)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn ids_carry_their_time_and_always_have_19_digits() {
        let id = PostId::new(EPOCH_MS + 1234, 7);
        assert_eq!(id.unix_ms(), EPOCH_MS + 1234);
        assert_eq!(id.score(), 1234.0);
        assert_eq!(id.to_string().len(), 19);
        assert_eq!(PostId::new(u64::MAX, u32::MAX).to_string().len(), 19);
        assert_eq!(PostId::from_u64(id.get()), Ok(id));
        assert!(PostId::from_u64(42).is_err());
    }

    proptest! {
        /// (score, decimal string) orders ids exactly as the ids: what makes Redis agree.
        #[test]
        fn score_then_decimal_order_is_id_order(a_ms in 0u64..(1 << 40), a_low: u32, b_ms in 0u64..(1 << 40), b_low: u32) {
            let a = PostId::new(EPOCH_MS + a_ms, a_low);
            let b = PostId::new(EPOCH_MS + b_ms, b_low);
            let by_store = a.score().partial_cmp(&b.score()).unwrap().then_with(|| a.to_string().cmp(&b.to_string()));
            prop_assert_eq!(by_store, a.cmp(&b));
        }
    }
}
