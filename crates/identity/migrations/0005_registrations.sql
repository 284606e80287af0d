-- Registrations waiting for their owner to confirm the email address (domain::registration).
-- The account is created on confirmation; until then only the username is held.
CREATE TABLE registrations (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL,
    email_key TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- SHA-256 of the emailed token; NULL when the address belonged to an account already, so
    -- that nothing can confirm it.
    token_hash TEXT UNIQUE,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);
CREATE INDEX registrations_by_expiry ON registrations (expires_at_ms);
