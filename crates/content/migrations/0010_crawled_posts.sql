-- Posts of sources (store::crawled): the original article, the files an entry refers to (by
-- URL; Riffle does not copy them), and which entry each post was made from, so that a
-- redelivered entry is one post and a revised entry edits it.
ALTER TABLE posts ADD COLUMN origin_url TEXT;
ALTER TABLE posts ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';
CREATE TABLE crawled_entries (
    entry_id TEXT PRIMARY KEY,
    post_id BIGINT NOT NULL
);
