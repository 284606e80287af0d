-- Password attempts counted before they are verified (domain::throttle); replaces the failure
-- counters, whose keys and meaning changed.
DROP TABLE sign_in_failures;
CREATE TABLE sign_in_attempts (
    key TEXT PRIMARY KEY,
    attempts BIGINT NOT NULL,
    window_started_ms BIGINT NOT NULL,
    next_allowed_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_attempts_by_window ON sign_in_attempts (window_started_ms);
