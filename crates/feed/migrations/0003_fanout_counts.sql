-- Follower counts, kept with the follows: accounts above `timelines.fanout_threshold` are not
-- pushed into followers' home timelines but merged in when a home timeline is read.
CREATE TABLE feed_follower_counts (
    author_id TEXT PRIMARY KEY,
    followers BIGINT NOT NULL
);
INSERT INTO feed_follower_counts (author_id, followers)
    SELECT followee_id, COUNT(*) FROM feed_follows GROUP BY followee_id;
