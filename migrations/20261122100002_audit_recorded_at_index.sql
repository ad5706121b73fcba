-- no-transaction
-- Time-range queries of the audit log and exports (`recorded_at` between two
-- instants). Events are appended in time order, so a BRIN index is tiny,
-- nearly free for writers and prunes all but the blocks of the range.
create index concurrently if not exists events_recorded_at_brin
    on events using brin (recorded_at);
