-- When each user last read their home timeline: fan-out skips users inactive for longer than
-- `timelines.inactive_after_secs`, and their first read after that rebuilds the timeline.
CREATE TABLE feed_readers (
    user_id TEXT PRIMARY KEY,
    last_read_ms BIGINT NOT NULL
);
