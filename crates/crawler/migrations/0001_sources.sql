-- The crawler's own data: sources (a feed each, with its schedule), the entries seen of each,
-- and who subscribed to which through the crawler's API.
CREATE TABLE sources (
    id TEXT PRIMARY KEY,
    -- The source's account in identity (chosen here, see contracts::crawler::SourceProfile).
    account_id TEXT NOT NULL UNIQUE,
    feed_url TEXT NOT NULL,
    -- The feed URL in canonical form: one source per feed, whoever adds it.
    feed_key TEXT NOT NULL UNIQUE,
    home_url TEXT,
    title TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    -- The account's username once identity has said it (it may differ from the proposal).
    username TEXT,
    etag TEXT,
    last_modified TEXT,
    last_fetch_at_ms BIGINT,
    last_success_at_ms BIGINT,
    last_unconditional_at_ms BIGINT,
    next_fetch_at_ms BIGINT NOT NULL,
    -- Failures in a row, and since when.
    failures BIGINT NOT NULL DEFAULT 0,
    failing_since_ms BIGINT,
    last_error TEXT,
    -- Failures ever, for admins.
    error_count BIGINT NOT NULL DEFAULT 0,
    -- Set: not fetched on schedule, and why.
    disabled_reason TEXT,
    -- A replica fetching the source holds it until then (several replicas never fetch one
    -- source at once).
    lease_until_ms BIGINT NOT NULL DEFAULT 0,
    entries_count BIGINT NOT NULL DEFAULT 0,
    -- WebSub: the hub and topic the feed names, the secret pushes are signed with, when the
    -- subscription was asked for and until when the hub confirmed it.
    hub_url TEXT,
    topic_url TEXT,
    websub_secret TEXT,
    websub_requested_at_ms BIGINT,
    websub_lease_until_ms BIGINT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX sources_due ON sources (next_fetch_at_ms);

CREATE TABLE entries (
    -- The entry id of contracts::crawler::Entry.
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL,
    -- domain::parse::ParsedEntry::key: the feed's id, else the link, else a content hash.
    entry_key TEXT NOT NULL,
    url TEXT,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    -- Sanitized (domain::sanitize).
    html TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    published_at_ms BIGINT,
    fetched_at_ms BIGINT NOT NULL,
    -- Set when the entry was published as a post (a backfill posts only the newest).
    posted_at_ms BIGINT,
    UNIQUE (source_id, entry_key)
);
CREATE INDEX entries_by_source ON entries (source_id, fetched_at_ms);

CREATE TABLE subscriptions (
    user_id TEXT NOT NULL,
    source_id TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, source_id)
);
CREATE INDEX subscriptions_by_source ON subscriptions (source_id);
