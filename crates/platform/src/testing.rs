//! Support for the test suites of every crate (kept in the library so that integration tests
//! of several crates share it).

/// The URL of an external backend for a test suite, from `var` (e.g. `RIFFLE_TEST_POSTGRES_URL`).
/// Without it the suite is skipped with a `skipped:` line, unless `RIFFLE_TEST_REQUIRE_BACKENDS=1`
/// (CI), where a missing backend is a failure: a suite must never skip silently in CI.
pub fn backend_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("RIFFLE_TEST_REQUIRE_BACKENDS").as_deref() == Ok("1") => {
            panic!("{var} is not set but RIFFLE_TEST_REQUIRE_BACKENDS=1: this backend suite must run")
        }
        _ => {
            eprintln!("skipped: {var} not set");
            None
        }
    }
}
