-- Responses to Idempotency-Keys are forgotten after a day (store::idempotency::expire).
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at_ms);
