-- Content's consumer of identity's and graph's events is now one consumer per producer; what the
-- old consumer applied counts as applied by the new ones, so a replayed stream applies nothing twice.
INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms)
    SELECT 'content.users', event_id, processed_at_ms FROM riffle_inbox WHERE consumer = 'content.read-models';
INSERT INTO riffle_inbox (consumer, event_id, processed_at_ms)
    SELECT 'content.graph', event_id, processed_at_ms FROM riffle_inbox WHERE consumer = 'content.read-models';
