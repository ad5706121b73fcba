-- Idempotency by command id: the first outcome of every command. A command
-- that wrote events is logged in the same statement as its events; one the
-- aggregate rejected, or that changed nothing, is logged right after the
-- decision. A retry finds the first outcome instead of deciding again.
create table command_log (
    command_id     uuid        primary key,
    aggregate_type text        not null,
    aggregate_id   text        not null,
    command_type   text        not null,
    -- sha256 of the command's canonical JSON: the same id with another body is refused
    body_hash      bytea       not null,
    outcome        text        not null default 'applied'
                   check (outcome in ('applied', 'rejected', 'unchanged')),
    -- the aggregate's error, as JSON, for a rejected command
    rejection      jsonb,
    first_sequence bigint,
    last_sequence  bigint,
    created_at     timestamptz not null default clock_timestamp(),
    check ((outcome = 'applied') = (first_sequence is not null and last_sequence >= first_sequence
                                    and first_sequence >= 1)),
    check ((outcome = 'rejected') = (rejection is not null))
);

-- Durable timers: commands to run at a time (reservation expiry,
-- auto-confirm delivery, escrow inspection lapse, payout release). The id is
-- derived from the event that scheduled the command, so scheduling twice is
-- harmless, and it is the command id when the command runs, so running
-- twice is harmless too.
create table scheduled_command (
    scheduled_command_id uuid        primary key,
    aggregate_type       text        not null,
    aggregate_id         text        not null,
    command              jsonb       not null,
    due_at               timestamptz not null,
    status               text        not null default 'pending'
                         check (status in ('pending', 'done', 'rejected', 'failed')),
    attempts             integer     not null default 0,
    -- the claim a worker holds; its result is recorded only under it
    lease_id             uuid,
    -- a worker that claimed the command holds it until then; after that,
    -- another worker may take it over (running twice is harmless)
    locked_until         timestamptz,
    last_error           text,
    correlation_id       uuid        not null,
    causation_id         uuid        not null,
    created_at           timestamptz not null default clock_timestamp(),
    updated_at           timestamptz not null default clock_timestamp()
);

create index scheduled_command_due_idx on scheduled_command (due_at) where status = 'pending';
