-- Who may write or delete a blob right now (store::blob_claims): a writer holds a hash while it
-- stores bytes and records its media; a collection claims it while deleting. One row per hash,
-- so the two exclude each other.
CREATE TABLE blob_claims (
    sha256 TEXT PRIMARY KEY,
    state TEXT NOT NULL,     -- 'held' or 'deleting'
    holders BIGINT NOT NULL, -- writers holding it
    until_ms BIGINT NOT NULL -- when the claim ends even if nobody gives it back
);
