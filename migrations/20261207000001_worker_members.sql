-- Worker processes register here so the elected parts (each projection,
-- the checkout saga, the Kafka relay, the search indexer) are spread over
-- them instead of all going to the first process that starts; a member
-- whose heartbeat expired has its parts taken over by the others
-- (event-store/src/election/members.rs). `held` is what each member
-- reported holding at its last heartbeat, for operators.
create table worker_members (
    member_id uuid primary key,
    host text not null default '',
    pid integer not null,
    parts text[] not null,
    held text[] not null default '{}',
    started_at timestamptz not null default clock_timestamp(),
    heartbeat_at timestamptz not null default clock_timestamp()
);
create index worker_members_heartbeat on worker_members (heartbeat_at);
