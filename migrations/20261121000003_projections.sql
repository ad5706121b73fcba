-- Read models live in one schema per projection generation
-- (rm_<name>_g<generation>); readers and analytics query the views in schema
-- `read`, which point at the live generation. A rebuild fills a new
-- generation from the start of the log and swaps the views in one
-- transaction once it has caught up.
create schema if not exists read;

create table projection (
    projection_name text        not null,
    generation      integer     not null check (generation >= 1),
    -- the projection code's schema version when this generation was created
    code_version    integer     not null,
    status          text        not null default 'building'
                    check (status in ('building', 'live', 'retired', 'failed')),
    tx_id           xid8        not null default '0'::xid8,
    position        bigint      not null default 0,
    events_applied  bigint      not null default 0,
    -- recorded_at of the last applied event: lag in seconds is measured from it
    last_event_at   timestamptz,
    error           text,
    error_event_id  uuid,
    error_position  bigint,
    created_at      timestamptz not null default clock_timestamp(),
    updated_at      timestamptz not null default clock_timestamp(),
    primary key (projection_name, generation)
);

create unique index projection_one_live on projection (projection_name) where status = 'live';
