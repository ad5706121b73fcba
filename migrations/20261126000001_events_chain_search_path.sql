-- pg_dump and pg_restore run with an empty search_path (CVE-2018-1058), so
-- the chain trigger's unqualified `events` was not found and restoring a
-- logical dump of the event store failed ("relation events does not
-- exist"). Pin the function to the schema it was created in; restored
-- rows then get the same hashes as the originals (docs/operations.md).
alter function events_chain() set search_path from current;
