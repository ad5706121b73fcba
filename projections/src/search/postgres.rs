//! The Postgres fallback: the same searches over the `search` projection's
//! tables (`read.search_*`), used when Elasticsearch is not configured.
//!
//! Full text is a `tsquery` built from the text as Elasticsearch's
//! `simple_query_string` reads it (`super::text`) against a GIN-indexed
//! `tsvector`; pages are keyset pagination on `(placed_at, order_id)`
//! (stock: `stock_id`), so page 1,000 costs what page 1 costs; facets are
//! `GROUP BY`s over the newest [`FACET_LIMIT`] (1,000) matches at most,
//! except for the searches that filter on nothing but their scope, whose
//! facets the projection keeps counted (`super::aggregates`). Every query
//! is built with bound parameters only.

use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::aggregates::{self, bucket, not_sales, status_counts};
use super::criteria::{OrderCriteria, StockCriteria};
use super::document::{OrderDoc, StockDoc};
use super::error::SearchError;
use super::request::{Backend, OrderFacets, OrderPage, Scope, StockPage, Total, FACET_LIMIT};
use super::scoping::{order_hit, order_page, stock_hit, stock_page};
use super::text::push_text_match;

/// Beyond this many matches, later pages report a lower bound.
const COUNT_LIMIT: i64 = 10_000;

/// Where an order search reads and which columns it compares.
struct Source {
    from: &'static str,
    at: &'static str,
    id: &'static str,
    status: &'static str,
    amount: &'static str,
    currency: &'static str,
    text: &'static str,
}

/// Buyers and admins: whole orders.
const ORDERS: Source = Source {
    from: "read.search_orders o",
    at: "o.placed_at",
    id: "o.order_id",
    status: "o.status",
    amount: "o.total",
    currency: "o.currency",
    text: "o.text",
};

/// Vendors: their own parts, joined to their orders.
const VENDOR_PARTS: Source = Source {
    from: "read.search_order_vendors v join read.search_orders o on o.order_id = v.order_id",
    ..VENDOR_ROWS
};

/// Vendors, when neither the documents nor the buyer are needed (counts
/// and facets without a buyer filter): the parts alone.
const VENDOR_ROWS: Source = Source {
    from: "read.search_order_vendors v",
    at: "v.placed_at",
    id: "v.order_id",
    status: "v.status",
    amount: "v.subtotal",
    currency: "v.currency",
    text: "v.text",
};

/// What an order search reads; `docs` when it selects the documents.
fn source(c: &OrderCriteria, docs: bool) -> &'static Source {
    match c.vendor_scope() {
        None => &ORDERS,
        Some(_) if docs || c.buyer_id.is_some() => &VENDOR_PARTS,
        Some(_) => &VENDOR_ROWS,
    }
}

/// ` from … where …` of the orders matching `c` (the cursor aside);
/// `docs` when the query selects `o.doc`.
fn push_matching(qb: &mut QueryBuilder<'_, Postgres>, c: &OrderCriteria, docs: bool) {
    let s = source(c, docs);
    qb.push(" from ").push(s.from).push(" where true");
    if let Some(vendor) = c.vendor_scope() {
        qb.push(" and v.vendor_id = ").push_bind(vendor.to_owned());
    }
    if let Some(buyer) = &c.buyer_id {
        qb.push(" and o.buyer_id = ").push_bind(buyer.clone());
    }
    if let Some(text) = &c.text {
        push_text_match(qb, s.text, text);
    }
    if !c.statuses.is_empty() {
        qb.push(format!(" and {} = any(", s.status))
            .push_bind(c.statuses.clone())
            .push(")");
    }
    if let Some(vendor) = &c.vendor_id {
        qb.push(" and exists (select 1 from read.search_order_vendors f where f.order_id = o.order_id and f.vendor_id = ")
            .push_bind(vendor.clone())
            .push(")");
    }
    push_range(qb, s, c);
}

fn push_range(qb: &mut QueryBuilder<'_, Postgres>, s: &Source, c: &OrderCriteria) {
    if let Some(from) = c.placed_from {
        qb.push(format!(" and {} >= ", s.at)).push_bind(from);
    }
    if let Some(before) = c.placed_before {
        qb.push(format!(" and {} < ", s.at)).push_bind(before);
    }
    if let Some(currency) = &c.currency {
        qb.push(format!(" and {} = ", s.currency))
            .push_bind(currency.clone());
    }
    if let Some(min) = c.amount_min {
        qb.push(format!(" and {} >= ", s.amount)).push_bind(min);
    }
    if let Some(max) = c.amount_max {
        qb.push(format!(" and {} <= ", s.amount)).push_bind(max);
    }
}

/// One page of orders matching `c`, with facets on the first page.
pub async fn search_orders(pool: &PgPool, c: &OrderCriteria) -> Result<OrderPage, SearchError> {
    let s = source(c, true);
    let mut qb = QueryBuilder::new("select o.doc");
    push_matching(&mut qb, c, true);
    if let Some(after) = &c.after {
        qb.push(format!(" and ({}, {}) < (", s.at, s.id))
            .push_bind(after.placed_at)
            .push(", ")
            .push_bind(after.order_id.clone())
            .push(")");
    }
    qb.push(format!(" order by {} desc, {} desc limit ", s.at, s.id))
        .push_bind(i64::from(c.size) + 1);
    // planned with its parameters, not a generic plan: whether to walk the
    // page index or to read the text index first depends on the words
    let docs: Vec<Json<OrderDoc>> = qb
        .build_query_scalar()
        .persistent(false)
        .fetch_all(pool)
        .await?;
    let (docs, next_cursor) = order_page(docs.into_iter().map(|Json(d)| d).collect(), c.size);
    // the first page's status counts add up to the total (a lower bound
    // when the facets count the newest `FACET_LIMIT` matches only)
    let (total, facets) = match c.after {
        None => {
            let facets = if aggregates::cover(c) {
                aggregates::facets(pool, c.vendor_scope()).await?
            } else {
                facets_by_scan(pool, c).await?
            };
            let value = facets.status.iter().map(|s| s.count).sum();
            let exact = facets.exact;
            (Total { value, exact }, Some(facets))
        }
        Some(_) => (count(pool, c).await?, None),
    };
    Ok(OrderPage {
        hits: docs.into_iter().map(|d| order_hit(d, &c.scope)).collect(),
        total,
        next_cursor,
        facets,
        backend: Backend::Postgres,
    })
}

/// Counts exactly up to [`COUNT_LIMIT`], as Elasticsearch does by default,
/// so a later page never counts the whole match set.
async fn count(pool: &PgPool, c: &OrderCriteria) -> Result<Total, SearchError> {
    let mut qb = QueryBuilder::new("select count(*) from (select 1");
    push_matching(&mut qb, c, false);
    qb.push(" limit ")
        .push_bind(COUNT_LIMIT + 1)
        .push(") matching");
    let count = qb.build_query_scalar().persistent(false).fetch_one(pool);
    Ok(bounded(count.await?))
}

fn bounded(count: i64) -> Total {
    Total {
        value: u64::try_from(count.min(COUNT_LIMIT)).unwrap_or_default(),
        exact: count <= COUNT_LIMIT,
    }
}

/// The facets of the orders matching `c`, grouped from the rows in one
/// statement (the matching rows are read once for both facets): what the
/// kept counts must equal for the searches they answer (the tests compare
/// both). At most [`FACET_LIMIT`] matches are grouped, the newest (see
/// [`OrderFacets::exact`]): facets over half the catalogue would otherwise
/// read half the catalogue on every request. Planned with its parameters
/// (an unnamed statement), without JIT, whose compilation costs more than
/// such a query, and with room to group the sales in memory.
pub async fn facets_by_scan(pool: &PgPool, c: &OrderCriteria) -> Result<OrderFacets, SearchError> {
    facets_within(pool, c, FACET_LIMIT).await
}

/// [`facets_by_scan`], grouping at most `limit` matches.
pub async fn facets_within(
    pool: &PgPool,
    c: &OrderCriteria,
    limit: u64,
) -> Result<OrderFacets, SearchError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX - 1);
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    // `set local` of both in one statement (not `raw_sql`, whose future is
    // not `Send` for every lifetime, which the API's handlers must be)
    sqlx::query("select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)")
        .execute(&mut *tx)
        .await?;
    let rows: Vec<FacetRow> = facets_query(c, limit)
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(facets_of(rows, limit))
}

/// The statement of [`facets_within`]: `m`, the newest `limit` + 1
/// matches (one more tells whether there are more); `c`, the newest
/// `limit` of them, grouped; a row with the number of `m` and the oldest
/// `placed_at` of `c`.
fn facets_query(c: &OrderCriteria, limit: i64) -> QueryBuilder<'_, sqlx::Postgres> {
    let s = source(c, false);
    let in_vendor_scope = c.vendor_scope().is_some();
    let mut qb = QueryBuilder::new(if in_vendor_scope {
        // the matching rows are the vendor's own parts
        "with m as materialized (select v.status, v.vendor_id, v.order_id, v.placed_at, \
                v.currency, v.subtotal, v.refunded"
    } else {
        "with m as materialized (select o.status, o.order_id, o.placed_at"
    });
    push_matching(&mut qb, c, false);
    qb.push(format!(" order by {} desc, {} desc limit ", s.at, s.id))
        .push_bind(limit + 1)
        .push("), c as materialized (select * from m order by placed_at desc, order_id desc limit ")
        .push_bind(limit);
    qb.push(
        ") select null::text, status, null::date, null::text, count(*), 0::bigint, 0::bigint, \
                  null::timestamptz from c group by status \
           union all \
           select null, null, null, null, (select count(*) from m), 0, 0, \
                  (select min(placed_at) from c) \
           union all \
           select p.vendor_id, null, (p.placed_at at time zone 'UTC')::date, p.currency, \
                  count(*), sum(p.subtotal)::bigint, sum(p.refunded)::bigint, null from ",
    );
    qb.push(if in_vendor_scope {
        "c p where true"
    } else {
        "read.search_order_vendors p where p.order_id in (select order_id from c)"
    });
    qb.push(" and p.status <> all(")
        .push_bind(not_sales())
        .push(") group by 1, 3, 4 order by 1, 3, 4");
    qb
}

/// The buckets of the rows [`facets_query`] answers for `limit`.
fn facets_of(rows: Vec<FacetRow>, limit: i64) -> OrderFacets {
    let mut status = Vec::new();
    let mut sales = Vec::new();
    let (mut matched, mut oldest) = (0, None);
    for row in rows {
        match row {
            (Some(vendor), _, Some(day), Some(currency), n, gross, refunded, _) => {
                sales.push(bucket((vendor, day, currency, n, gross, refunded)));
            }
            (_, Some(s), _, _, n, _, _, _) => status.push((s, n)),
            (None, None, None, None, n, _, _, at) => (matched, oldest) = (n, at),
            _ => {}
        }
    }
    let exact = matched <= limit;
    OrderFacets {
        status: status_counts(status),
        sales,
        exact,
        counted_since: if exact { None } else { oldest },
    }
}

/// A status count (vendor, day and currency null), a sales bucket (status
/// null) or the number of matches seen (all four null): vendor, status,
/// day, currency, count, gross, refunded, and the oldest `placed_at`
/// counted (on the last kind only).
type FacetRow = (
    Option<String>,
    Option<String>,
    Option<chrono::NaiveDate>,
    Option<String>,
    i64,
    i64,
    i64,
    Option<chrono::DateTime<chrono::Utc>>,
);

fn push_stock_matching(qb: &mut QueryBuilder<'_, Postgres>, c: &StockCriteria) {
    qb.push(" from read.search_stock s where true");
    if let Scope::Vendor(vendor) = &c.scope {
        qb.push(" and s.vendor_id = ").push_bind(vendor.clone());
    }
    if let Some(text) = &c.text {
        push_text_match(qb, "s.text", text);
    }
    if let Some(sku) = &c.sku {
        qb.push(" and s.sku = ").push_bind(sku.clone());
    }
    if let Some(warehouse) = &c.warehouse_id {
        qb.push(" and s.warehouse_id = ")
            .push_bind(warehouse.clone());
    }
    if let Some(min) = c.min_available {
        qb.push(" and s.available >= ")
            .push_bind(i64::try_from(min).unwrap_or(i64::MAX));
    }
    if let Some(before) = c.expiring_before {
        qb.push(" and s.next_expiry < ").push_bind(before);
    }
}

/// One page of stock matching `c`.
pub async fn search_stock(pool: &PgPool, c: &StockCriteria) -> Result<StockPage, SearchError> {
    let mut qb = QueryBuilder::new("select s.doc");
    push_stock_matching(&mut qb, c);
    if let Some(after) = &c.after {
        qb.push(" and s.stock_id > ")
            .push_bind(after.stock_id.clone());
    }
    qb.push(" order by s.stock_id limit ")
        .push_bind(i64::from(c.size) + 1);
    let docs: Vec<Json<StockDoc>> = qb.build_query_scalar().fetch_all(pool).await?;
    let (docs, next_cursor) = stock_page(docs.into_iter().map(|Json(d)| d).collect(), c.size);
    let mut count = QueryBuilder::new("select count(*) from (select 1");
    push_stock_matching(&mut count, c);
    count
        .push(" limit ")
        .push_bind(COUNT_LIMIT + 1)
        .push(") matching");
    let total = bounded(count.build_query_scalar().fetch_one(pool).await?);
    Ok(StockPage {
        hits: docs.into_iter().map(|d| stock_hit(d, &c.scope)).collect(),
        total,
        next_cursor,
        backend: Backend::Postgres,
    })
}
