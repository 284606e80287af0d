-- A post's tags are rewritten on every create and edit and read by the ranking: without this
-- index each of those scanned every tagged post.
CREATE INDEX feed_post_tags_by_post ON feed_post_tags (post_id);
