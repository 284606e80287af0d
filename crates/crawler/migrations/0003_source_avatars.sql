-- The image URL a source's avatar was last fetched from (a new one in the feed is fetched anew).
ALTER TABLE sources ADD COLUMN avatar_url TEXT;
