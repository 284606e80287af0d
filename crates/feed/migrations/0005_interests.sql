-- What the "for you" stream ranks with, and tag follows for home timelines: hashtags users
-- follow, who liked what (from content's events), and each post's engagement counts.
CREATE TABLE feed_tag_follows (
    tag TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (tag, user_id)
);
CREATE INDEX feed_tag_follows_by_user ON feed_tag_follows (user_id);

CREATE TABLE feed_likes (
    post_id BIGINT NOT NULL,
    user_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX feed_likes_by_user ON feed_likes (user_id, created_at_ms);

ALTER TABLE feed_posts ADD COLUMN likes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feed_posts ADD COLUMN reposts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE feed_posts ADD COLUMN replies BIGINT NOT NULL DEFAULT 0;
CREATE INDEX feed_posts_replies_by_author ON feed_posts (author_id, reply_to_author_id);

-- A ranked "for you" list as it was computed for its first page: later pages read from it,
-- so no post appears twice however the scores move meanwhile.
CREATE TABLE feed_for_you_snapshots (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    items TEXT NOT NULL                 -- JSON: ranked ids with their score components
);
CREATE INDEX feed_for_you_snapshots_by_age ON feed_for_you_snapshots (created_at_ms);
