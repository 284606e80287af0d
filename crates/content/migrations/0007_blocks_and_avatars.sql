-- Blocks, from graph's events: the blocked cannot reply to, like or repost the blocker's posts,
-- and each side's view leaves the other out. Avatars, from identity's events: an image used as
-- an avatar is public and never collected as unattached.
CREATE TABLE known_blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX known_blocks_by_blocked ON known_blocks (blocked_id);
ALTER TABLE known_users ADD COLUMN avatar_media_id TEXT;
CREATE INDEX known_users_by_avatar ON known_users (avatar_media_id);
