-- Home timelines: who follows, blocks and mutes whom (from the graph's events), and what a
-- post answers (for the reply rule).
ALTER TABLE feed_posts ADD COLUMN reply_to_author_id TEXT;

CREATE TABLE feed_follows (
    follower_id TEXT NOT NULL,
    followee_id TEXT NOT NULL,
    PRIMARY KEY (followee_id, follower_id)
);
CREATE INDEX feed_follows_by_follower ON feed_follows (follower_id);

-- Blocks and mutes both hide the other side's posts from a home timeline.
CREATE TABLE feed_hidden_authors (
    user_id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    reason TEXT NOT NULL,               -- block | mute | blocked_by
    PRIMARY KEY (user_id, author_id, reason)
);
