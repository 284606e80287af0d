-- What search must know to decide who sees which post, kept from identity's and graph's
-- events: usernames (for from:), which accounts are active, follows and blocks.
CREATE TABLE known_users (
    id TEXT PRIMARY KEY,
    username_key TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX known_users_by_username ON known_users (username_key);
-- Every query leaves out inactive accounts: read by this index, not by a scan of everyone.
CREATE INDEX known_users_by_active ON known_users (active);
CREATE TABLE follows (
    follower_id TEXT NOT NULL,
    followee_id TEXT NOT NULL,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE TABLE blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);
