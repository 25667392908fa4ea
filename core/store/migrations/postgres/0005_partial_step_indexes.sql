-- Steps are found by due time only while pending, by retry time only while
-- retrying, and by last change only while queued (requeue) or dead (the
-- dead-letter list). Indexes of those states alone keep a step that moves
-- from queued to attempted to done out of every index but one, where the
-- indexes on (state, …) were rewritten at each move.
DROP INDEX steps_due;
DROP INDEX steps_retry;
DROP INDEX steps_updated;
CREATE INDEX steps_pending  ON steps (due_at, key)     WHERE state = 'pending';
CREATE INDEX steps_retrying ON steps (retry_at, key)   WHERE state = 'retrying';
CREATE INDEX steps_queued   ON steps (updated_at, key) WHERE state = 'queued';
CREATE INDEX steps_dead     ON steps (updated_at, key) WHERE state = 'dead';
