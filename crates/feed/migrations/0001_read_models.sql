-- The feed service's own copies of what it serves, kept from content's and identity's events:
-- a feed read never calls another service.
CREATE TABLE feed_posts (
    id BIGINT PRIMARY KEY,
    author_id TEXT NOT NULL,
    visibility TEXT NOT NULL,
    summary TEXT NOT NULL,              -- the event's post summary, as JSON
    created_at_ms BIGINT NOT NULL,
    removed BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX feed_posts_by_author ON feed_posts (author_id, id);

CREATE TABLE feed_post_tags (
    tag TEXT NOT NULL,
    post_id BIGINT NOT NULL,
    PRIMARY KEY (tag, post_id)
);

CREATE TABLE feed_authors (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    display_name TEXT NOT NULL
);
