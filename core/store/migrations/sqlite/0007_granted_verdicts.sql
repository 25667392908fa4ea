-- The circuit breaker counts a workflow's replies from the verdicts that
-- granted them: a granted claim wrote a reply_breaker_events row with the
-- same step key, workflow and time as its verdict, one statement and one
-- row more per reply.
CREATE INDEX reply_verdicts_granted ON reply_verdicts (workflow, at) WHERE ok;
DROP TABLE reply_breaker_events;
