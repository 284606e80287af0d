//! How much newer posts are preferred among equally good matches: a post's relevance is
//! multiplied by its freshness, 2 when new, 1.5 at [`HALF_BOOST_DAYS`] old, towards 1 with
//! age, so a fresh post rises above an equal older one but a much better match stays first.

/// The age at which a post keeps half its freshness boost.
pub const HALF_BOOST_DAYS: f64 = 3.0;

const DAY_MS: f64 = 86_400_000.0;

/// The factor (1 to 2) a post's relevance is multiplied by, `age_ms` after it was written. A
/// post dated in the future counts as new.
pub fn freshness(age_ms: i64) -> f64 {
    let age_days = age_ms.max(0) as f64 / DAY_MS;
    1.0 + HALF_BOOST_DAYS / (HALF_BOOST_DAYS + age_days)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn new_posts_are_boosted_twice_and_the_boost_halves_at_the_half_life() {
        assert_eq!(freshness(0), 2.0);
        assert_eq!(freshness(-5), 2.0);
        assert!((freshness((HALF_BOOST_DAYS * DAY_MS) as i64) - 1.5).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn older_is_never_fresher(a in 0i64..10_000_000_000_000, b in 0i64..10_000_000_000_000) {
            let (young, old) = (a.min(b), a.max(b));
            prop_assert!(freshness(young) >= freshness(old));
            prop_assert!((1.0..=2.0).contains(&freshness(old)));
        }
    }
}
