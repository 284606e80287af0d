//! Brute-force protection for everything that checks a password (sign-in, password change,
//! account deletion). An attempt is counted, atomically, *before* the password is verified, so a
//! burst of parallel guesses costs no more verifications than the limit allows; a successful
//! attempt gives its count back.
//!
//! Three counters decide, each in its own window:
//! * the account from this address ([`PAIR_LIMIT`] attempts per 15 minutes): what one attacker
//!   gets at one account;
//! * the address ([`ADDRESS_LIMIT`] per 15 minutes, an IPv6 address by its /64): one address
//!   spraying many accounts;
//! * the account from everywhere: [`ACCOUNT_FREE`] attempts per hour, then an escalating delay
//!   between attempts (1 minute, doubling, at most 15), and never more than [`ACCOUNT_MAX`] an
//!   hour. Addresses the account signed in from before are spared the delay, so failures from an
//!   attacker's addresses do not lock the owner out of their own.
//!
//! The account is named by its id when it exists and by the login as typed when it does not, so
//! the answers are the same for real and made-up accounts (no user enumeration), and typing the
//! email instead of the username gives no second budget. Counters live in identity's database
//! (`store::throttle`), shared by every identity replica.

pub const PAIR_LIMIT: i64 = 5;
pub const PAIR_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const ADDRESS_LIMIT: i64 = 20;
pub const ADDRESS_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Attempts an account takes per hour from all addresses before the delay starts.
pub const ACCOUNT_FREE: i64 = 10;
/// Attempts an account takes per hour at most, whatever the address (ASVS, NIST 800-63B).
pub const ACCOUNT_MAX: i64 = 100;
pub const ACCOUNT_WINDOW_MS: i64 = 60 * 60 * 1000;
pub const FIRST_DELAY_MS: i64 = 60 * 1000;
pub const LONGEST_DELAY_MS: i64 = 15 * 60 * 1000;
/// How long a counter is kept after its window: the longest window.
pub const KEEP_MS: i64 = ACCOUNT_WINDOW_MS;

/// Who the attempt is for: an account id, or the login as typed when no account has it.
pub fn account_name(account_id: Option<uuid::Uuid>, login: &str) -> String {
    match account_id {
        Some(id) => id.to_string(),
        None => format!("login:{}", login.trim().to_lowercase()),
    }
}

/// The three counters an attempt for `account` (see [`account_name`]) from `address` counts in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    pub pair: String,
    pub address: String,
    pub account: String,
}

impl Keys {
    /// `address` is the client's address as counted (see `platform::http::client_ip::limit_key`).
    pub fn new(account: &str, address: &str) -> Keys {
        Keys {
            pair: format!("pair:{account}|{address}"),
            address: format!("ip:{address}"),
            account: format!("account:{account}"),
        }
    }

    /// The keys with their windows, in the order they are counted (always the same, so two
    /// attempts never wait on each other's counters in a circle).
    pub fn windows(&self) -> [(&str, i64); 3] {
        [(&self.pair, PAIR_WINDOW_MS), (&self.address, ADDRESS_WINDOW_MS), (&self.account, ACCOUNT_WINDOW_MS)]
    }
}

/// A key's attempts in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub attempts: i64,
    pub window_started_ms: i64,
    /// When the next attempt may be made (the account's delay); 0 for none.
    pub next_allowed_ms: i64,
}

/// The counters after this attempt was counted.
#[derive(Debug, Clone, Copy)]
pub struct Counted {
    pub pair: Counter,
    pub address: Counter,
    pub account: Counter,
}

/// What becomes of an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on and verify the password; `next_allowed_ms`, when set, starts the account's delay.
    Allowed { next_allowed_ms: Option<i64> },
    /// Refused without verifying; retry after this many milliseconds. The attempt is not counted.
    Refused { wait_ms: i64 },
}

/// The delay after the account's `attempts`-th attempt of the hour.
pub fn delay_after(attempts: i64) -> i64 {
    if attempts <= ACCOUNT_FREE {
        return 0;
    }
    let doublings = (attempts - ACCOUNT_FREE - 1).min(10) as u32;
    (FIRST_DELAY_MS << doublings).min(LONGEST_DELAY_MS)
}

/// Decides an attempt at `now` from the counters that include it; `known_address` spares the
/// account's delay.
pub fn judge(counted: &Counted, known_address: bool, now: i64) -> Verdict {
    let window_end = |c: &Counter, window: i64| (c.window_started_ms + window - now).max(1);
    if counted.pair.attempts > PAIR_LIMIT {
        return Verdict::Refused { wait_ms: window_end(&counted.pair, PAIR_WINDOW_MS) };
    }
    if counted.address.attempts > ADDRESS_LIMIT {
        return Verdict::Refused { wait_ms: window_end(&counted.address, ADDRESS_WINDOW_MS) };
    }
    let account = &counted.account;
    if account.attempts > ACCOUNT_MAX {
        return Verdict::Refused { wait_ms: window_end(account, ACCOUNT_WINDOW_MS) };
    }
    if known_address || account.attempts <= ACCOUNT_FREE {
        return Verdict::Allowed { next_allowed_ms: None };
    }
    if account.next_allowed_ms > now {
        return Verdict::Refused { wait_ms: account.next_allowed_ms - now };
    }
    Verdict::Allowed { next_allowed_ms: Some(now + delay_after(account.attempts)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(attempts: i64) -> Counter {
        Counter { attempts, window_started_ms: 0, next_allowed_ms: 0 }
    }

    fn counted(pair: i64, address: i64, account: i64) -> Counted {
        Counted { pair: counter(pair), address: counter(address), account: counter(account) }
    }

    #[test]
    fn one_address_gets_five_attempts_at_one_account() {
        for n in 1..=PAIR_LIMIT {
            assert_eq!(judge(&counted(n, n, n), false, 10), Verdict::Allowed { next_allowed_ms: None });
        }
        assert_eq!(judge(&counted(PAIR_LIMIT + 1, 6, 6), false, 10), Verdict::Refused { wait_ms: PAIR_WINDOW_MS - 10 });
        assert!(matches!(judge(&counted(1, ADDRESS_LIMIT + 1, 1), false, 10), Verdict::Refused { .. }));
    }

    #[test]
    fn past_the_free_attempts_the_account_waits_longer_each_time_but_not_from_known_addresses() {
        let now = 1_000_000;
        let first = judge(&counted(1, 1, ACCOUNT_FREE + 1), false, now);
        assert_eq!(first, Verdict::Allowed { next_allowed_ms: Some(now + FIRST_DELAY_MS) });
        let mut waiting = counted(1, 1, ACCOUNT_FREE + 2);
        waiting.account.next_allowed_ms = now + FIRST_DELAY_MS;
        assert_eq!(judge(&waiting, false, now + 1), Verdict::Refused { wait_ms: FIRST_DELAY_MS - 1 });
        assert_eq!(judge(&waiting, true, now + 1), Verdict::Allowed { next_allowed_ms: None }, "the owner's address");
        assert_eq!(
            judge(&waiting, false, now + FIRST_DELAY_MS),
            Verdict::Allowed { next_allowed_ms: Some(now + 3 * FIRST_DELAY_MS) },
            "the delay doubles"
        );
        assert_eq!(delay_after(ACCOUNT_FREE + 30), LONGEST_DELAY_MS);
        assert!(matches!(judge(&counted(1, 1, ACCOUNT_MAX + 1), true, now), Verdict::Refused { .. }), "a ceiling");
    }

    #[test]
    fn the_account_is_its_id_when_it_exists() {
        let id = uuid::Uuid::from_u128(7);
        assert_eq!(account_name(Some(id), "Ada"), id.to_string());
        assert_eq!(account_name(None, " Ada "), "login:ada");
        let keys = Keys::new("login:ada", "192.0.2.1");
        assert_eq!(keys.windows()[0], ("pair:login:ada|192.0.2.1", PAIR_WINDOW_MS));
    }
}
