-- The search documents of one generation (search_path is the generation's
-- schema), read through read.search_*: the Postgres full-text fallback and
-- the documents the Elasticsearch indexer ships. `version` is the sequence
-- of the last event folded into the document (the Elasticsearch external
-- version). Documented in docs/search.md.

create table search_orders (
    order_id   text        primary key,
    buyer_id   text        not null,
    status     text        not null,
    currency   text        not null,
    total      bigint      not null,
    placed_at  timestamptz not null,
    version    bigint      not null,
    doc        jsonb       not null,
    text       tsvector    generated always as (to_tsvector('simple'::regconfig, doc ->> 'text')) stored
);
create index search_orders_page_idx on search_orders (placed_at desc, order_id desc);
create index search_orders_buyer_idx on search_orders (buyer_id, placed_at desc, order_id desc);
create index search_orders_text_idx on search_orders using gin (text);

-- One row per vendor part: what a vendor's searches and the sales facet read.
create table search_order_vendors (
    order_id   text        not null references search_orders (order_id),
    vendor_id  text        not null,
    status     text        not null,
    currency   text        not null,
    subtotal   bigint      not null,
    refunded   bigint      not null,
    placed_at  timestamptz not null,
    text       tsvector    not null,
    primary key (order_id, vendor_id)
);
create index search_order_vendors_page_idx on search_order_vendors (vendor_id, placed_at desc, order_id desc);
create index search_order_vendors_text_idx on search_order_vendors using gin (text);

create table search_stock (
    stock_id      text    primary key,
    sku           text    not null,
    warehouse_id  text    not null,
    vendor_id     text,
    available     bigint  not null,
    next_expiry   date,
    version       bigint  not null,
    doc           jsonb   not null,
    text          tsvector generated always as (to_tsvector('simple'::regconfig, doc ->> 'text')) stored
);
create index search_stock_sku_idx on search_stock (sku, warehouse_id);
create index search_stock_vendor_idx on search_stock (vendor_id, stock_id);
create index search_stock_text_idx on search_stock using gin (text);

-- The facets of the searches that filter on nothing but their scope (an
-- admin's first page, a vendor's first page), kept by every batch from the
-- rows above (aggregates.rs), so such a search reads these rows instead of
-- grouping every order. Per status: `vendor_id` '' counts whole orders by
-- order status, a vendor id that vendor's parts by vendor order status.
-- Rows whose count falls to zero are deleted, so a rebuild yields the
-- same rows.
create table search_facet_status (
    vendor_id  text    not null,
    status     text    not null,
    n          bigint  not null,
    primary key (vendor_id, status)
);

-- Paid, not cancelled vendor parts (status other than CREATED and
-- CANCELLED) per vendor, UTC day of checkout and currency: the sales facet.
create table search_facet_sales (
    vendor_id  text    not null,
    day        date    not null,
    currency   text    not null,
    n          bigint  not null,
    gross      bigint  not null,
    refunded   bigint  not null,
    primary key (vendor_id, day, currency)
);
