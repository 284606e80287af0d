-- What an image or video shows, in words, for people who cannot see it (alt text), written by
-- the uploader; empty until they write one.
ALTER TABLE media ADD COLUMN description TEXT NOT NULL DEFAULT '';
