-- Suspended accounts: their posts stay in the read model (a restore brings them back) but no
-- stream shows them.
ALTER TABLE feed_authors ADD COLUMN suspended INTEGER NOT NULL DEFAULT 0;
CREATE INDEX feed_authors_suspended ON feed_authors (id) WHERE suspended = 1;
CREATE INDEX feed_authors_username ON feed_authors (lower(username));

-- What feeds out say about a post's media (enclosures), from content's media events.
CREATE TABLE feed_media (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL
);
CREATE INDEX feed_media_owner ON feed_media (owner_id);
