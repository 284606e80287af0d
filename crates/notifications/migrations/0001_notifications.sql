-- Notifications' own copies of what decides who is told what: people (names for samples,
-- roles for moderators' and admins' notifications), follows (with each follower's "notify me"
-- switch), silenced pairs (blocks both ways, mutes one way) and posts (who wrote them, who may
-- see them).
CREATE TABLE people (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX people_username ON people (username_key);
CREATE INDEX people_role ON people (role);

CREATE TABLE follows (
    follower_id TEXT NOT NULL,
    followee_id TEXT NOT NULL,
    notify INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (follower_id, followee_id)
);
CREATE INDEX follows_notified ON follows (followee_id, notify);

CREATE TABLE silenced (
    user_id TEXT NOT NULL,
    other_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (user_id, other_id, reason)
);

CREATE TABLE posts (
    id BIGINT PRIMARY KEY,
    author_id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    repost_of_id BIGINT
);

-- A group: one notification, or likes, reposts or follows of one target within the window.
-- `version` is the recipient's change counter at the group's last change (what the live stream
-- resumes from); an emptied or dismissed group stays, `removed`, so that a stream can say so.
CREATE TABLE notification_groups (
    id TEXT PRIMARY KEY,
    recipient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- The post it is about, 0 for none (follows, sign-ups).
    post_key BIGINT NOT NULL,
    opened_at_ms BIGINT NOT NULL,
    latest_at_ms BIGINT NOT NULL,
    count BIGINT NOT NULL,
    -- The newest accounts, up to 8, newest first (JSON).
    sample_ids TEXT NOT NULL,
    version BIGINT NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX groups_listed ON notification_groups (recipient_id, removed, latest_at_ms, id);
CREATE INDEX groups_open ON notification_groups (recipient_id, kind, post_key, opened_at_ms);
CREATE INDEX groups_changed ON notification_groups (recipient_id, version);

-- One notification: who did what to which post. `post_key` is the post id or 0, so that the
-- unique key holds for follows too: a redelivered or repeated like is the same notification.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    recipient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    post_key BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    UNIQUE (recipient_id, kind, actor_id, post_key)
);
CREATE INDEX notifications_group ON notifications (group_id, created_at_ms);
CREATE INDEX notifications_post ON notifications (post_key);
CREATE INDEX notifications_actor ON notifications (actor_id);

-- Per recipient: the change counter and the read marker (the newest group time read).
CREATE TABLE recipients (
    id TEXT PRIMARY KEY,
    version BIGINT NOT NULL,
    read_up_to_ms BIGINT NOT NULL DEFAULT 0
);

-- Per recipient and kind: off, or on without grouping (absent: on and grouped).
CREATE TABLE preferences (
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled INTEGER NOT NULL,
    grouped INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
