-- Uploads, from content's events: an avatar must be an image its user uploaded.
CREATE TABLE known_media (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL
);
