-- The circuit breaker counts a workflow's replies from the verdicts that
-- granted them: a granted claim wrote a reply_breaker_events row with the
-- same step key, workflow and time as its verdict, one statement and one
-- row more per reply. The index holds ok too, so that the count reads it
-- alone.
--
-- reply_breaker_events is no longer written or read, but stays: a node of
-- the previous version still running beside an upgraded one during a
-- rolling upgrade writes it, and would fail without it.
CREATE INDEX reply_verdicts_granted ON reply_verdicts (workflow, at, ok) WHERE ok;
