-- no-transaction
-- Auditors follow one business flow (a checkout) across every aggregate it
-- touched by the correlation id that every event's metadata carries. Built
-- concurrently so that migrating a large live store does not block appends;
-- a migration run without a transaction holds exactly one statement.
create index concurrently if not exists events_correlation_idx
    on events ((metadata ->> 'correlation_id'));
