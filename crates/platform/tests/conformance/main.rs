//! Conformance suites of the platform's ports: every backend of a port must pass the same tests.
//!
//! Embedded backends always run. PostgreSQL and NATS run when `RIFFLE_TEST_POSTGRES_URL` and
//! `RIFFLE_TEST_NATS_URL` are set; otherwise each such test prints `skipped: …`, unless
//! `RIFFLE_TEST_REQUIRE_BACKENDS=1` (set by CI), which turns a missing backend into a failure.

mod backends;
mod db;
mod events;
