-- pending_evaluations: inbound messages stored but not yet evaluated, so
-- that Requeue can hand them to the queue again if the queue lost them.
CREATE TABLE pending_evaluations (
    message_id TEXT    PRIMARY KEY REFERENCES messages (id),
    dedup_id   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX pending_evaluations_created ON pending_evaluations (created_at);
INSERT INTO pending_evaluations (message_id, dedup_id, created_at)
SELECT m.id, m.connector || '/' || m.account || '/' || m.external_id, m.received_at
FROM messages m LEFT JOIN explanations e ON e.message_id = m.id
WHERE e.message_id IS NULL AND m.direction = 'inbound' AND m.origin = 'channel';
