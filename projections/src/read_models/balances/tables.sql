-- One generation of the balances read model. Money is bigint minor units of
-- the row's currency. Every value is assigned from an event (see balances.rs).

-- One vendor's share of one order's payment, as the last event left it.
create table vendor_order_balances (
    order_id             text        not null,
    vendor_id            text        not null,
    currency             text        not null,
    allocated            bigint      not null,
    fee                  bigint      not null,
    net                  bigint      not null,
    fee_refunded         bigint      not null,
    net_refunded         bigint      not null,
    held                 bigint      not null,
    available            bigint      not null,
    paid_out             bigint      not null,
    debt                 bigint      not null,
    hold_state           text        not null check (hold_state in ('unscheduled', 'scheduled', 'lifted')),
    hold_until           timestamptz,
    held_in_escrow       bigint      not null default 0,
    last_split_sequence  bigint      not null,
    last_escrow_sequence bigint      not null default 0,
    updated_at           timestamptz not null,
    primary key (order_id, vendor_id)
);
create index vendor_order_balances_vendor on vendor_order_balances (vendor_id, currency);
create index vendor_order_balances_hold_until on vendor_order_balances (hold_until) where hold_state = 'scheduled';
create index vendor_order_balances_debt on vendor_order_balances (vendor_id) where debt > 0;

-- Per vendor and currency: sums over the vendor's vendor_order_balances rows.
create table vendor_balances (
    vendor_id      text        not null,
    currency       text        not null,
    earned         bigint      not null,
    held           bigint      not null,
    held_in_escrow bigint      not null,
    available      bigint      not null,
    paid_out       bigint      not null,
    debt           bigint      not null,
    orders         bigint      not null,
    updated_at     timestamptz not null,
    primary key (vendor_id, currency)
);
create index vendor_balances_debt on vendor_balances (currency, debt) where debt > 0;

-- Every money movement of every vendor; rows are never updated.
create table payout_ledger (
    entry_id    uuid        primary key,
    vendor_id   text        not null,
    order_id    text        not null,
    currency    text        not null,
    kind        text        not null check (kind in ('earned', 'fee', 'payout', 'payout_failed', 'refund',
                    'chargeback', 'debt_incurred', 'debt_recovered', 'escrow_released', 'escrow_refunded')),
    amount      bigint      not null,
    in_balance  boolean     not null,
    reference   text,
    detail      text,
    occurred_at timestamptz not null,
    event_id    uuid        not null,
    position    bigint      not null,
    recorded_at timestamptz not null
);
create index payout_ledger_vendor_occurred on payout_ledger (vendor_id, occurred_at);
create index payout_ledger_order on payout_ledger (order_id);
create index payout_ledger_kind_occurred on payout_ledger (kind, occurred_at);
create index payout_ledger_reference on payout_ledger (reference) where reference is not null;

-- One row per paid order: the payment's totals.
create table platform_fees (
    order_id              text        primary key,
    payment_id            text        not null,
    currency              text        not null,
    fee_rate_bps          integer     not null,
    captured              bigint      not null,
    platform_fee          bigint      not null,
    platform_fee_refunded bigint      not null,
    refunded              bigint      not null,
    charged_back          bigint      not null,
    remaining             bigint      not null,
    split_at              timestamptz not null,
    last_sequence         bigint      not null,
    updated_at            timestamptz not null
);
create index platform_fees_split_at on platform_fees (split_at);

-- Internal (not exposed): what remains in each escrow milestone, so that
-- held_in_escrow is right whichever of split and escrow comes first.
create table escrow_milestone (
    escrow_id     text        not null,
    milestone_id  text        not null,
    currency      text        not null,
    remaining     bigint      not null,
    last_sequence bigint      not null,
    updated_at    timestamptz not null,
    primary key (escrow_id, milestone_id)
);
