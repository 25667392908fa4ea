-- message_retention blanks the contacts not heard from within it, and marks
-- them pruned: a prune reads only the others, by this index, rather than
-- every contact it blanked before; and an ingest that waited for a contact
-- being blanked (on PostgreSQL) sees the mark and makes a new one.
ALTER TABLE contacts ADD COLUMN pruned BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX contacts_unpruned ON contacts (updated_at) WHERE pruned = FALSE;
