//! When a source is fetched next. Pure: the inputs are what the last fetch saw.
//!
//! * Interval from the entry frequency (Miniflux's `entry_frequency`): a week divided by the
//!   entries of the last week, clamped to `[min, max]`; a source that published nothing in a
//!   week waits `max`.
//! * Never sooner than the server asks (RSS `<ttl>`, `Cache-Control: max-age`, `Expires`,
//!   `Retry-After`), but never later than `max`, so a wrong header cannot park a source.
//! * 0–25 % jitter (NewsBlur), so sources added together do not stay in step.
//! * After 3 failures in a row, back off 1 h × n (CommaFeed), at most 24 h; disabled after
//!   `disable_after` failures or 30 days of failing.

use std::time::Duration;

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
/// Failures in a row before the backoff starts.
const BACKOFF_AFTER: u32 = 3;
/// A source that has failed for this long is disabled, however few its failures.
pub const FAILING_FOR_AT_MOST: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub min: Duration,
    pub max: Duration,
    pub disable_after: u32,
}

/// The interval after a successful fetch. `hint` is the longest wait the server asked for.
pub fn after_success(policy: &Policy, entries_last_week: u32, hint: Option<Duration>) -> Duration {
    let by_frequency = match entries_last_week {
        0 => policy.max,
        n => WEEK / n,
    };
    let interval = by_frequency.clamp(policy.min, policy.max);
    match hint {
        Some(hint) => interval.max(hint.min(policy.max)),
        None => interval,
    }
}

/// What follows a failed fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterFailure {
    pub wait: Duration,
    /// Stop fetching until someone enables or refreshes the source.
    pub disable: bool,
}

/// `failures` counts this one; `failing_for` is the time since the first failure of the run.
pub fn after_failure(policy: &Policy, failures: u32, failing_for: Duration, hint: Option<Duration>) -> AfterFailure {
    let backoff = if failures < BACKOFF_AFTER { policy.min } else { (HOUR * (failures - BACKOFF_AFTER + 1)).min(DAY) };
    let wait = match hint {
        Some(hint) => backoff.max(hint.min(DAY)),
        None => backoff,
    };
    AfterFailure { wait, disable: failures >= policy.disable_after || failing_for >= FAILING_FOR_AT_MOST }
}

/// `interval` stretched by 0–25 %; `unit` is a random number in `[0, 1)`.
pub fn jittered(interval: Duration, unit: f64) -> Duration {
    interval.mul_f64(1.0 + 0.25 * unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn policy() -> Policy {
        Policy { min: Duration::from_secs(15 * 60), max: DAY, disable_after: 10 }
    }

    #[test]
    fn busy_feeds_are_fetched_often_quiet_ones_daily() {
        assert_eq!(after_success(&policy(), 7 * 24, None), Duration::from_secs(3600));
        assert_eq!(after_success(&policy(), 10_000, None), Duration::from_secs(15 * 60), "clamped to min");
        assert_eq!(after_success(&policy(), 0, None), DAY);
        assert_eq!(after_success(&policy(), 1, None), DAY, "a week clamps to a day");
    }

    #[test]
    fn the_server_may_slow_us_down_but_not_park_us() {
        let two_hours = Duration::from_secs(7200);
        assert_eq!(after_success(&policy(), 7 * 24, Some(two_hours)), two_hours);
        assert_eq!(after_success(&policy(), 7 * 24, Some(Duration::from_secs(60))), Duration::from_secs(3600));
        assert_eq!(after_success(&policy(), 7 * 24, Some(WEEK * 52)), DAY);
    }

    #[test]
    fn failures_back_off_then_disable() {
        let p = policy();
        let step = |n| after_failure(&p, n, Duration::ZERO, None);
        assert_eq!(step(1).wait, p.min);
        assert_eq!(step(3).wait, HOUR);
        assert_eq!(step(5).wait, HOUR * 3);
        assert_eq!(step(40).wait, DAY);
        assert!(!step(9).disable && step(10).disable);
        assert!(after_failure(&p, 2, FAILING_FOR_AT_MOST, None).disable, "a month of failing");
        assert_eq!(after_failure(&p, 1, Duration::ZERO, Some(HOUR * 2)).wait, HOUR * 2, "Retry-After");
    }

    proptest! {
        #[test]
        fn intervals_stay_within_bounds(weekly in 0u32..100_000, hint in proptest::option::of(0u64..10_000_000), unit in 0.0f64..1.0) {
            let p = policy();
            let interval = after_success(&p, weekly, hint.map(Duration::from_secs));
            prop_assert!(interval >= p.min && interval <= p.max);
            let jittered = jittered(interval, unit);
            prop_assert!(jittered >= interval && jittered <= interval.mul_f64(1.25));
        }
    }
}
