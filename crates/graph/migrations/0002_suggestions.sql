-- Who-to-follow, computed in the background per user (jobs::suggestions) and read from here.
CREATE TABLE suggestions (
    user_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    suggested_id TEXT NOT NULL,
    via BIGINT NOT NULL,
    followers BIGINT NOT NULL,
    PRIMARY KEY (user_id, position)
);
-- When each user's suggestions were last computed, and last asked for since.
CREATE TABLE suggestion_runs (
    user_id TEXT PRIMARY KEY,
    computed_at_ms BIGINT NOT NULL,
    wanted_at_ms BIGINT NOT NULL
);
CREATE INDEX suggestion_runs_wanted ON suggestion_runs (wanted_at_ms);
