-- The feed keeps its own row of each post instead of content's event payload (`summary`, kept
-- empty from now on; rows written before are moved into the columns at start). Its consumers
-- are one per producer now; what the old consumer applied counts as applied by the new ones.
ALTER TABLE feed_posts ADD COLUMN text TEXT NOT NULL DEFAULT '';
ALTER TABLE feed_posts ADD COLUMN language TEXT;
ALTER TABLE feed_posts ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE feed_posts ADD COLUMN media_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE feed_posts ADD COLUMN reply_to_id BIGINT;
ALTER TABLE feed_posts ADD COLUMN repost_of_id BIGINT;
INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms)
    SELECT 'feed.content', event_id, processed_at_ms FROM riffle_inbox WHERE consumer = 'feed.read-model';
INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms)
    SELECT 'feed.graph', event_id, processed_at_ms FROM riffle_inbox WHERE consumer = 'feed.read-model';
INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms)
    SELECT 'feed.users', event_id, processed_at_ms FROM riffle_inbox WHERE consumer = 'feed.read-model';
