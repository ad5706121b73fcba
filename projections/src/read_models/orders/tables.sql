-- The orders read model: one generation's tables (unqualified; the runtime
-- sets search_path to the generation's schema). Money is bigint minor units
-- of the row's `currency`. Documented in docs/read-models/orders.md.

create table orders (
    order_id        text        primary key,
    buyer_id        text        not null,
    currency        text        not null,
    total           bigint      not null,
    status          text        not null,
    fee_rate_bps    integer     not null,
    placed_at       timestamptz not null,
    payment_due_at  timestamptz not null,
    paid_at         timestamptz,
    payment_id      text,
    cancelled_at    timestamptz,
    cancel_reason   text,
    refunded_total  bigint      not null default 0,
    vendor_count    integer     not null,
    -- the order stream's last applied sequence: older events are skipped
    last_sequence   bigint      not null,
    updated_at      timestamptz not null
);

create index orders_buyer_idx on orders (buyer_id, placed_at);
create index orders_status_idx on orders (status);
create index orders_placed_at_idx on orders (placed_at);

create table order_lines (
    order_id                  text    not null references orders (order_id),
    line_no                   integer not null,
    vendor_id                 text    not null,
    product_id                text    not null,
    sku                       text    not null,
    warehouse_id              text    not null,
    title                     text    not null,
    quantity                  integer not null,
    unit_price                bigint  not null,
    line_total                bigint  not null,
    shipped_quantity          integer not null default 0,
    return_requested_quantity integer not null default 0,
    returned_quantity         integer not null default 0,
    damaged_quantity          integer not null default 0,
    refunded_amount           bigint  not null default 0,
    currency                  text    not null,
    primary key (order_id, line_no)
);

create index order_lines_vendor_idx on order_lines (vendor_id);
create index order_lines_product_idx on order_lines (product_id);
create index order_lines_sku_idx on order_lines (sku, warehouse_id);

create table vendor_orders (
    order_id              text        not null references orders (order_id),
    vendor_id             text        not null,
    buyer_id              text        not null,
    status                text        not null,
    subtotal              bigint      not null,
    refunded              bigint      not null default 0,
    currency              text        not null,
    tracking              text,
    packed_at             timestamptz,
    shipped_at            timestamptz,
    delivered_at          timestamptz,
    delivery_confirmed_by text,
    auto_confirm_at       timestamptz,
    completed_at          timestamptz,
    cancelled_at          timestamptz,
    placed_at             timestamptz not null,
    updated_at            timestamptz not null,
    primary key (order_id, vendor_id)
);

create index vendor_orders_vendor_idx on vendor_orders (vendor_id, placed_at);
create index vendor_orders_status_idx on vendor_orders (status, vendor_id);
