-- Uploaded media. Bytes live in the blob store under blobs/<sha256[..2]>/<sha256>: the same
-- bytes uploaded twice are stored once, and a blob goes when no media row refers to it.
CREATE TABLE media (
    id TEXT PRIMARY KEY,                 -- UUIDv7
    owner_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,                  -- image | video | audio | document
    mime TEXT NOT NULL,                  -- sniffed from the bytes, never taken from the client
    size BIGINT NOT NULL,
    width BIGINT,
    height BIGINT,
    filename TEXT NOT NULL DEFAULT '',
    post_id BIGINT,                      -- the post it is attached to, once attached
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX media_by_sha ON media (sha256);
CREATE INDEX media_unattached ON media (created_at_ms) WHERE post_id IS NULL;
CREATE INDEX media_by_post ON media (post_id);
