-- Which tags have a timeline in the timeline store, and when something was last posted to each:
-- tags nobody follows and nothing posts to lose their timeline (streams::housekeeping).
CREATE TABLE feed_tags (
    tag TEXT PRIMARY KEY,
    last_post_ms BIGINT NOT NULL,
    has_timeline BOOLEAN NOT NULL
);
INSERT INTO feed_tags (tag, last_post_ms, has_timeline)
    SELECT t.tag, MAX(p.created_at_ms), TRUE FROM feed_post_tags t JOIN feed_posts p ON p.id = t.post_id GROUP BY t.tag;
CREATE INDEX feed_tags_idle ON feed_tags (last_post_ms);

-- One "for you" snapshot per reader, replaced by each first page.
DELETE FROM feed_for_you_snapshots;
CREATE UNIQUE INDEX feed_for_you_snapshots_by_user ON feed_for_you_snapshots (user_id);
