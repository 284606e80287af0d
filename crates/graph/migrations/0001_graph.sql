-- The social graph: who follows whom, which tags, who blocks and mutes whom.
CREATE TABLE follows (
    follower_id TEXT NOT NULL,
    followee_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_by_followee ON follows (followee_id, created_at_ms);
CREATE INDEX follows_by_follower ON follows (follower_id, created_at_ms);

CREATE TABLE tag_follows (
    user_id TEXT NOT NULL,
    tag TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, tag)
);

CREATE TABLE blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);

CREATE TABLE mutes (
    muter_id TEXT NOT NULL,
    muted_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (muter_id, muted_id)
);

-- Users, kept from identity's events: who exists and may be followed.
CREATE TABLE known_users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    active BOOLEAN NOT NULL
);
