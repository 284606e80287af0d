-- Audit log and sign-in throttling.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,              -- UUIDv7: ordered by time
    at_ms BIGINT NOT NULL,
    actor_id TEXT,                    -- who did it (NULL: anonymous, e.g. a failed sign-in)
    action TEXT NOT NULL,             -- e.g. sign_in, sign_in_failed, admin.user_suspended
    target_id TEXT,                   -- the user acted upon
    ip TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}' -- JSON
);
CREATE INDEX audit_by_actor ON audit_log (actor_id, id);
CREATE INDEX audit_by_target ON audit_log (target_id, id);
CREATE INDEX audit_by_action ON audit_log (action, id);

-- Failed sign-ins per key ("account:<login>" or "ip:<address>") in a sliding window.
CREATE TABLE sign_in_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_started_ms BIGINT NOT NULL,
    locked_until_ms BIGINT NOT NULL DEFAULT 0
);
