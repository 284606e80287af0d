-- Resumable uploads (tus 1.0). The received bytes live in <data_dir>/uploads/<id>; the file's
-- length is the upload's offset, so bytes received before a dropped connection are kept.
CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    length BIGINT NOT NULL,
    filename TEXT NOT NULL DEFAULT '',
    filetype TEXT,
    media_id TEXT,                       -- set once the last byte arrived and the media was made
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX uploads_by_age ON uploads (created_at_ms);
