//! Brute-force protection for sign-in: failures are counted per account name and per client
//! address in a sliding window; past a threshold the key is locked for a while and every
//! attempt, right or wrong, gets 429 with `Retry-After`.
//!
//! The account key is the login *as typed*, whether or not such an account exists, so a locked
//! name looks the same for real and made-up accounts (no user enumeration). Counters live in
//! identity's database (`store::throttle`) so that every identity replica enforces the same limits.

/// Failures allowed per account name within the window before it is locked.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures allowed per client address within the window (many accounts from one address).
pub const ADDRESS_LIMIT: i64 = 20;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOCKOUT_MS: i64 = 15 * 60 * 1000;

pub fn account_key(login: &str) -> String {
    format!("account:{}", login.trim().to_lowercase())
}

pub fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// A key's failures in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub failures: i64,
    pub window_started_ms: i64,
    /// 0 when not locked.
    pub locked_until_ms: i64,
}

impl Counter {
    /// The counter after one more failure at `now`, for a key allowed `limit` failures. Reaching
    /// the limit locks the key and starts the count again, so the next lock needs a full new set
    /// of failures.
    pub fn after_failure(previous: Option<Counter>, now: i64, limit: i64) -> Counter {
        let (failures, started) = match previous {
            Some(c) if now - c.window_started_ms <= WINDOW_MS => (c.failures + 1, c.window_started_ms),
            _ => (1, now),
        };
        let locked_until = previous.map_or(0, |c| c.locked_until_ms);
        if failures >= limit {
            Counter { failures: 0, window_started_ms: now, locked_until_ms: now + LOCKOUT_MS }
        } else {
            Counter { failures, window_started_ms: started, locked_until_ms: locked_until }
        }
    }

    /// Milliseconds until the key is free again, if it is locked at `now`.
    pub fn locked_for(&self, now: i64) -> Option<i64> {
        (self.locked_until_ms > now).then(|| self.locked_until_ms - now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_locks_and_starts_the_count_again() {
        let mut counter = None;
        for n in 1..ACCOUNT_LIMIT {
            let next = Counter::after_failure(counter, 1_000 + n, ACCOUNT_LIMIT);
            assert_eq!((next.failures, next.locked_for(1_000 + n)), (n, None));
            counter = Some(next);
        }
        let locked = Counter::after_failure(counter, 2_000, ACCOUNT_LIMIT);
        assert_eq!(locked.locked_for(2_000), Some(LOCKOUT_MS));
        assert_eq!(locked.failures, 0);
        assert_eq!(locked.locked_for(2_000 + LOCKOUT_MS), None, "free again after the lockout");
    }

    #[test]
    fn a_window_that_passed_counts_from_one() {
        let old = Counter { failures: 4, window_started_ms: 0, locked_until_ms: 0 };
        let next = Counter::after_failure(Some(old), WINDOW_MS + 1, ACCOUNT_LIMIT);
        assert_eq!((next.failures, next.window_started_ms), (1, WINDOW_MS + 1));
    }
}
