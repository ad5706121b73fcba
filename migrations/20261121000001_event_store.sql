-- The event store: postgres-es compatible `events` and `snapshots` tables, with
-- the columns postgres-es does not know about (global order, transaction id,
-- event id, recorded time, hash chain) given defaults so that any
-- postgres-es writer still works. See docs/adr/0001-own-event-store.md.

-- UUIDv7 (time-ordered) for event ids written by clients that do not supply
-- one; Bazaar's own writers supply a UUIDv7 generated in Rust.
create function uuid_generate_v7() returns uuid
language sql volatile parallel safe as $$
    select encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    placing substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
                    from 1 for 6),
            52, 1), 53, 1),
        'hex')::uuid
$$;

create table events (
    aggregate_type  text        not null,
    aggregate_id    text        not null,
    sequence        bigint      not null check (sequence >= 1),
    event_type      text        not null,
    event_version   text        not null,
    payload         jsonb       not null,
    metadata        jsonb       not null,
    -- global order: a position alone is not safe to resume from (a lower
    -- position can commit after a higher one), so readers order by
    -- (tx_id, global_position) below the oldest running transaction.
    global_position bigint      not null generated always as identity,
    tx_id           xid8        not null default pg_current_xact_id(),
    recorded_at     timestamptz not null default clock_timestamp(),
    event_id        uuid        not null default uuid_generate_v7(),
    -- sha256 chained to the previous event of the same stream; always set by
    -- the events_chain trigger, whatever the writer sent.
    hash            bytea       not null default '\x'::bytea,
    primary key (aggregate_type, aggregate_id, sequence)
);

create unique index events_global_position_key on events (global_position);
create unique index events_event_id_key on events (event_id);
create index events_commit_order_idx on events (tx_id, global_position);

-- The hash chain. Each event's hash is
--   sha256(previous hash || UTF-8 of the jsonb array text of its fields)
-- with 32 zero bytes before a stream's first event. One jsonb_build_array
-- keeps the trigger cheap and the encoding unambiguous; the Rust verifier
-- (event-store/src/chain.rs) rebuilds the same text independently.
create function events_chain() returns trigger
language plpgsql as $$
declare
    previous bytea;
begin
    if new.sequence = 1 then
        previous := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    else
        select e.hash into previous
          from events e
         where e.aggregate_type = new.aggregate_type
           and e.aggregate_id = new.aggregate_id
           and e.sequence = new.sequence - 1;
        if not found then
            raise exception 'event % of stream %/% has no predecessor',
                new.sequence, new.aggregate_type, new.aggregate_id
                using errcode = 'BZ001';
        end if;
    end if;
    new.hash := sha256(previous || convert_to(jsonb_build_array(
        new.aggregate_type, new.aggregate_id, new.sequence, new.event_type, new.event_version,
        new.event_id, new.global_position, (extract(epoch from new.recorded_at) * 1000000)::bigint,
        new.payload, new.metadata)::text, 'UTF8'));
    return new;
end
$$;

create trigger events_chain before insert on events
    for each row execute function events_chain();

-- Append-only: no UPDATE, DELETE or TRUNCATE, even of zero rows.
create function events_reject_change() returns trigger
language plpgsql as $$
begin
    raise exception 'events are append-only: % is not allowed', tg_op
        using errcode = 'BZ002';
end
$$;

create trigger events_append_only before update or delete or truncate on events
    for each statement execute function events_reject_change();

-- One snapshot per aggregate; payload is the aggregate after event
-- last_sequence (postgres-es compatible columns).
create table snapshots (
    aggregate_type   text        not null,
    aggregate_id     text        not null,
    last_sequence    bigint      not null check (last_sequence >= 0),
    current_snapshot bigint      not null check (current_snapshot >= 0),
    payload          jsonb       not null,
    updated_at       timestamptz not null default clock_timestamp(),
    primary key (aggregate_type, aggregate_id)
);

-- Durable position of each subscriber (projector, relay, saga) in the
-- commit-ordered log.
create table subscription_checkpoint (
    subscription_name text        primary key,
    tx_id             xid8        not null default '0'::xid8,
    position          bigint      not null default 0,
    created_at        timestamptz not null default clock_timestamp(),
    updated_at        timestamptz not null default clock_timestamp()
);
