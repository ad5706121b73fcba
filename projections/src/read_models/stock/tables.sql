-- One generation of the stock read model (search_path is the generation's
-- schema). Quantities are units (bigint); times are UTC.

-- One row per SKU and warehouse (one InventoryReservation stream).
create table stock_levels (
    sku            text        not null,
    warehouse_id   text        not null,
    -- the stream's aggregate id, "{sku}@{warehouse}"
    stock_id       text        not null unique,
    -- the vendor who owns the stock (its first batch's); null only
    -- before the first batch's event is applied
    vendor_id      text,
    -- reservable units on the date of as_of, as the latest event computed it
    available      bigint      not null default 0,
    -- sums over this stock's stock_batches rows
    on_hand        bigint      not null default 0,
    reserved       bigint      not null default 0,
    batches        integer     not null default 0,
    as_of          timestamptz not null,
    last_sequence  bigint      not null,
    updated_at     timestamptz not null,
    primary key (sku, warehouse_id)
);
-- lookups by sku use the primary key's leading column
create index stock_levels_warehouse_idx on stock_levels (warehouse_id);
create index stock_levels_vendor_idx on stock_levels (vendor_id, sku);

create table stock_batches (
    sku             text        not null,
    warehouse_id    text        not null,
    batch_id        text        not null,
    expires_on      date,
    on_hand         bigint      not null,
    reserved        bigint      not null,
    free            bigint      generated always as (on_hand - reserved) stored,
    written_off     boolean     not null default false,
    written_off_on  date,
    received_at     timestamptz,
    updated_at      timestamptz not null,
    primary key (sku, warehouse_id, batch_id)
);
create index stock_batches_expiry_idx on stock_batches (expires_on) where not written_off;

create table stock_reservations (
    reservation_id       text        primary key,
    sku                  text        not null,
    warehouse_id         text        not null,
    quantity             bigint      not null,
    status               text        not null
                         check (status in ('active', 'committed', 'released', 'expired')),
    expires_at           timestamptz not null,
    ship_on              date        not null,
    min_shelf_life_days  integer     not null,
    -- {"<batch_id>": units, ...}
    allocations          jsonb       not null,
    release_reason       text
                         check (release_reason in ('order_cancelled', 'payment_expired',
                                                   'order_rejected', 'batch_expired')),
    reserved_at          timestamptz not null,
    ended_at             timestamptz,
    updated_at           timestamptz not null
);
create index stock_reservations_stock_idx on stock_reservations (sku, warehouse_id, status);
create index stock_reservations_active_idx on stock_reservations (expires_at) where status = 'active';

-- Append-only: one row per event per batch whose levels it changed.
create table stock_movements (
    event_id        uuid        not null,
    batch_id        text        not null,
    sku             text        not null,
    warehouse_id    text        not null,
    kind            text        not null
                    check (kind in ('received', 'reserved', 'released', 'expired', 'committed',
                                    'adjusted', 'written_off', 'restocked', 'reallocated')),
    reservation_id  text,
    on_hand_delta   bigint      not null,
    reserved_delta  bigint      not null,
    on_hand_after   bigint      not null,
    reserved_after  bigint      not null,
    occurred_at     timestamptz not null,
    position        bigint      not null,
    recorded_at     timestamptz not null,
    primary key (event_id, batch_id)
);
create index stock_movements_stock_idx on stock_movements (sku, warehouse_id, occurred_at);
create index stock_movements_kind_idx on stock_movements (kind, occurred_at);
