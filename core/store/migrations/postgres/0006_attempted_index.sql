-- A step due at once is begun by the worker that planned it, without the
-- queue. If that worker dies, the step stays attempted; the scheduler finds
-- it by last change (Requeue) once its lease has run out.
CREATE INDEX steps_attempted ON steps (updated_at, key) WHERE state = 'attempted';
