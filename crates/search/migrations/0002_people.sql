-- People search: what a person's entry shows and is found by, and how many follow them.
ALTER TABLE known_users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE known_users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE known_users ADD COLUMN followers BIGINT NOT NULL DEFAULT 0;
