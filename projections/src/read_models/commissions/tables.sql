-- One generation of the commissions read model (search_path is the
-- generation's schema). Money is bigint minor units of the row's currency;
-- times are UTC. Only escrows that name an agent have rows.

create table agent_escrows (
    escrow_id           text        primary key,
    agent_id            text        not null,
    buyer_party         text        not null,
    seller_party        text        not null,
    currency            text        not null,
    amount              bigint      not null,
    commission_bps      integer,
    commission_fixed    bigint,
    status              text        not null
                        check (status in ('awaiting_funding', 'funded', 'closed', 'cancelled')),
    agreed              bigint      not null,
    earned              bigint      not null,
    paid                bigint      not null,
    pending             bigint      not null,
    forfeited           bigint      not null,
    released            bigint      not null,
    seller_proceeds     bigint      not null,
    platform_fee        bigint      not null,
    created_at          timestamptz not null,
    funded_at           timestamptz,
    last_sequence       bigint      not null,
    updated_at          timestamptz not null,
    check (earned = paid + pending),
    check (released = paid + seller_proceeds + platform_fee)
);
create index agent_escrows_agent_idx on agent_escrows (agent_id, created_at);

create table agent_commission_entries (
    escrow_id           text        not null,
    sequence            bigint      not null,
    agent_id            text        not null,
    milestone_id        text,
    kind                text        not null check (kind in ('earned', 'paid', 'forfeited')),
    currency            text        not null,
    amount              bigint      not null check (amount > 0),
    moved               bigint      not null,
    at                  timestamptz not null,
    primary key (escrow_id, sequence)
);
create index agent_commission_entries_agent_idx on agent_commission_entries (agent_id, at);
