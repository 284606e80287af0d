-- Posts, reactions and moderation of the content service.
CREATE TABLE posts (
    id BIGINT PRIMARY KEY,               -- platform::ids::PostId: time-ordered
    author_id TEXT NOT NULL,
    text TEXT NOT NULL,
    visibility TEXT NOT NULL,            -- public | unlisted | followers
    language TEXT,
    reply_to_id BIGINT,
    reply_to_author_id TEXT,
    root_id BIGINT NOT NULL,             -- the thread's first post (itself for a top-level post)
    repost_of_id BIGINT,
    entities TEXT NOT NULL DEFAULT '{}', -- JSON: tags, mentions, links
    media_ids TEXT NOT NULL DEFAULT '[]',-- JSON array
    replies_count BIGINT NOT NULL DEFAULT 0,
    reposts_count BIGINT NOT NULL DEFAULT 0,
    likes_count BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    edited_at_ms BIGINT,
    hidden_at_ms BIGINT,                 -- hidden by a moderator: visible to its author only
    deleted_at_ms BIGINT                 -- a tombstone: the text is gone
);
CREATE INDEX posts_by_author ON posts (author_id, id);
CREATE INDEX posts_by_thread ON posts (root_id, id);
CREATE INDEX posts_by_reply_to ON posts (reply_to_id);
-- One live repost per user and post.
CREATE UNIQUE INDEX one_repost_per_user ON posts (author_id, repost_of_id) WHERE repost_of_id IS NOT NULL AND deleted_at_ms IS NULL;

CREATE TABLE post_edits (
    post_id BIGINT NOT NULL,
    version BIGINT NOT NULL,
    text TEXT NOT NULL,
    language TEXT,
    edited_at_ms BIGINT NOT NULL,        -- when this version was replaced
    PRIMARY KEY (post_id, version)
);

CREATE TABLE likes (
    post_id BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX likes_by_user ON likes (user_id, created_at_ms);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    post_id BIGINT NOT NULL,
    reporter_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,                -- open | resolved
    resolution TEXT,                     -- dismissed | hidden | removed
    resolved_by TEXT,
    created_at_ms BIGINT NOT NULL,
    resolved_at_ms BIGINT
);
CREATE INDEX reports_by_status ON reports (status, id);
CREATE UNIQUE INDEX one_open_report_per_reporter ON reports (post_id, reporter_id) WHERE status = 'open';

CREATE TABLE moderation_log (
    id TEXT PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    moderator_id TEXT NOT NULL,
    action TEXT NOT NULL,
    post_id BIGINT NOT NULL,
    report_id TEXT,
    note TEXT NOT NULL DEFAULT ''
);

-- Read models kept from other services' events.
CREATE TABLE known_users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE INDEX known_users_by_name ON known_users (username_key);

CREATE TABLE known_follows (
    follower_id TEXT NOT NULL,
    followee_id TEXT NOT NULL,
    PRIMARY KEY (followee_id, follower_id)
);

-- Responses of create requests made with an Idempotency-Key.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
