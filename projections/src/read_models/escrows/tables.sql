-- One generation of the escrows read model (search_path is the generation's
-- schema). Money is bigint minor units of the row's currency; times are UTC.

create table escrows (
    escrow_id               text        primary key,
    buyer_party             text        not null,
    seller_party            text        not null,
    currency                text        not null,
    amount                  bigint      not null,
    status                  text        not null
                            check (status in ('awaiting_funding', 'funded', 'closed', 'cancelled')),
    funded                  bigint      not null,
    released                bigint      not null,
    refunded                bigint      not null,
    held                    bigint      not null,
    inspection_period_days  integer     not null,
    dispute_window_hours    integer     not null,
    payment_id              text,
    created_at              timestamptz not null,
    funded_at               timestamptz,
    closed_at               timestamptz,
    cancelled_at            timestamptz,
    cancel_reason           text,
    last_sequence           bigint      not null,
    updated_at              timestamptz not null
);
create index escrows_buyer_idx on escrows (buyer_party, created_at);
create index escrows_seller_idx on escrows (seller_party, created_at);
create index escrows_status_idx on escrows (status);

create table escrow_milestones (
    escrow_id               text        not null,
    milestone_id            text        not null,
    description             text        not null,
    currency                text        not null,
    amount                  bigint      not null,
    status                  text        not null
                            check (status in ('awaiting_delivery', 'delivered', 'disputed', 'settled')),
    funded                  bigint      not null,
    released                bigint      not null,
    refunded                bigint      not null,
    remaining               bigint      not null,
    delivered_at            timestamptz,
    inspection_ends_at      timestamptz,
    dispute_window_ends_at  timestamptz,
    dispute_open            boolean     not null default false,
    dispute_reason          text,
    updated_at              timestamptz not null,
    primary key (escrow_id, milestone_id)
);
create index escrow_milestones_status_idx on escrow_milestones (status);
create index escrow_milestones_inspection_idx on escrow_milestones (inspection_ends_at)
    where status = 'delivered';
create index escrow_milestones_dispute_idx on escrow_milestones (escrow_id) where dispute_open;
