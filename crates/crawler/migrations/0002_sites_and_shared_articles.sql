-- Sources that are websites without a feed (crawled from their sitemap and links), and the
-- canonical URL of every entry, which finds the same article published by two sources.
ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'feed';
ALTER TABLE entries ADD COLUMN canonical_url TEXT;
CREATE INDEX entries_canonical_url ON entries (canonical_url);
