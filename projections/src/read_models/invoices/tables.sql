-- One generation of the invoices read model (search_path is the generation's
-- schema). Money is bigint minor units of the row's currency; times are UTC.
-- Exposed: invoices, invoice_lines, invoice_series. The others are what the
-- model remembers of orders to write documents later (lines, payments, the
-- order events that refunds follow).

-- Every document, invoice or credit note, numbered per issuer.
create table invoices (
    document_id          uuid        primary key,
    kind                 text        not null check (kind in ('invoice', 'credit_note')),
    subject              text        not null check (subject in ('sale', 'platform_fee')),
    issuer_kind          text        not null check (issuer_kind in ('vendor', 'platform')),
    issuer_id            text        not null,
    number               bigint      not null check (number >= 1),
    recipient_kind       text        not null check (recipient_kind in ('buyer', 'vendor')),
    recipient_id         text        not null,
    order_id             text        not null,
    vendor_id            text        not null,
    buyer_id             text        not null,
    currency             text        not null,
    total                bigint      not null check (total > 0),
    fee                  bigint      not null check (fee >= 0),
    fee_rate_bps         integer     not null,
    credits_document_id  uuid,
    credits_number       bigint,
    reason               text        not null
                         check (reason in ('sale', 'cancellation', 'return', 'refund', 'chargeback')),
    reference            text        not null,
    issued_at            timestamptz not null,
    issue_date           date        not null,
    position             bigint      not null,
    sources              jsonb       not null,
    unique (issuer_kind, issuer_id, number),
    check ((kind = 'invoice') = (credits_document_id is null))
);
create index invoices_order_idx on invoices (order_id);
create index invoices_issuer_date_idx on invoices (issuer_kind, issuer_id, issue_date, number);
create index invoices_recipient_idx on invoices (recipient_kind, recipient_id, position);
create index invoices_position_idx on invoices (position, document_id);

-- The lines of each document: quantity × unit_price = amount; they add up
-- to the document's total.
create table invoice_lines (
    document_id    uuid    not null,
    line_no        integer not null check (line_no >= 1),
    description    text    not null,
    product        text,
    sku            text,
    order_line_no  integer,
    quantity       bigint  not null,
    unit_price     bigint  not null,
    amount         bigint  not null,
    primary key (document_id, line_no)
);

-- The last number each issuer gave out: its documents are numbered
-- 1..last_number without gaps.
create table invoice_series (
    issuer_kind  text        not null,
    issuer_id    text        not null,
    last_number  bigint      not null check (last_number >= 1),
    updated_at   timestamptz not null,
    primary key (issuer_kind, issuer_id)
);

-- Internal: each placed order's buyer, currency and payment.
create table invoice_orders (
    order_id         text        primary key,
    buyer_id         text        not null,
    currency         text        not null,
    fee_rate_bps     integer     not null,
    placed_event_id  uuid        not null,
    placed_position  bigint      not null,
    payment_id       text,
    paid_event_id    uuid,
    paid_position    bigint,
    order_sequence   bigint      not null,
    split_sequence   bigint      not null,
    updated_at       timestamptz not null
);

-- Internal: each placed order's lines, as the buyer saw them.
create table invoice_order_lines (
    order_id    text    not null,
    line_no     integer not null,
    vendor_id   text    not null,
    product     text    not null,
    sku         text    not null,
    title       text    not null,
    quantity    bigint  not null,
    unit_price  bigint  not null,
    primary key (order_id, line_no)
);

-- Internal: the paid lines a cancellation or a return gives back, by the
-- order event; the refund the saga records for it names that event as its
-- cause.
create table invoice_refund_causes (
    event_id    uuid    not null,
    vendor_id   text    not null,
    line_no     integer not null,
    order_id    text    not null,
    reason      text    not null check (reason in ('cancellation', 'return')),
    event_type  text    not null,
    position    bigint  not null,
    quantity    bigint  not null,
    amount      bigint  not null,
    primary key (event_id, vendor_id, line_no)
);
create index invoice_refund_causes_order_idx on invoice_refund_causes (order_id);
