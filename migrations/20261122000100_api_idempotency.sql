-- Idempotency keys of the HTTP API (Stripe's semantics): the first
-- response to a principal's key is stored and replayed for retries with
-- the same request; the same key with another request is refused. A row
-- is `in_flight` while its request runs, under a lease, so a crashed
-- request does not block its key forever. Rows are purged after the
-- retention period (at least 24 hours).
create table api_idempotency (
    principal        text        not null,
    idempotency_key  text        not null,
    request_hash     bytea       not null,
    method           text        not null,
    path             text        not null,
    state            text        not null check (state in ('in_flight', 'done')),
    lease_until      timestamptz not null,
    response_status  integer,
    response_type    text,
    response_location text,
    response_body    bytea,
    created_at       timestamptz not null default now(),
    completed_at     timestamptz,
    primary key (principal, idempotency_key)
);

create index api_idempotency_created_at on api_idempotency (created_at);
