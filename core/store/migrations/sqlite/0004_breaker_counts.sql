-- reply_breakers keeps a running count, so that a claim does not count
-- every reply within the breaker's period: total is the replies ever
-- recorded, expired how many of them were at or before mark (a time, in
-- nanoseconds). The replies after mark number total - expired, and a claim
-- moves mark to its own period's start by counting only the replies it
-- passes.
ALTER TABLE reply_breakers ADD COLUMN total   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reply_breakers ADD COLUMN expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reply_breakers ADD COLUMN mark    INTEGER NOT NULL DEFAULT 0;
UPDATE reply_breakers SET total = (
    SELECT COUNT(*) FROM reply_breaker_events e WHERE e.workflow = reply_breakers.workflow
);
