-- Leases on the node numbers of post ids (see contracts::ids): every process that creates posts
-- holds one, renewed while it runs, so two processes never make the same id.
CREATE TABLE id_nodes (
    node BIGINT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
