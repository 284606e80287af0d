-- Thumbnails, made in the background after an image is uploaded.
ALTER TABLE media ADD COLUMN thumbnail_state TEXT NOT NULL DEFAULT 'none'; -- none | pending | ready | failed
ALTER TABLE media ADD COLUMN thumbnail_sha256 TEXT;
ALTER TABLE media ADD COLUMN thumbnail_mime TEXT;
UPDATE media SET thumbnail_state = 'pending' WHERE kind = 'image';
CREATE INDEX media_thumbnails_pending ON media (thumbnail_state) WHERE thumbnail_state = 'pending';
