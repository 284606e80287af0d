-- Accounts of feeds and websites (contracts::AccountKind::Source): created from the crawler's
-- events, with no password (`!`, which no password verifies) and no email address (their
-- `email_key` is `source:<id>`, unique and never a valid address).
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';
