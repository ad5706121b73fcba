//! The Postgres fallback: the same searches over the `search` projection's
//! tables (`read.search_*`), used when Elasticsearch is not configured.
//!
//! Full text is a `tsquery` built from the text as Elasticsearch's
//! `simple_query_string` reads it (`super::text`) against a GIN-indexed
//! `tsvector`; pages are keyset pagination on `(placed_at, order_id)`
//! (stock: `stock_id`), so page 1,000 costs what page 1 costs; facets are
//! `GROUP BY`s over the same predicate. Every query is built with bound
//! parameters only.

use sqlx::types::Json;
use sqlx::{PgPool, Postgres, QueryBuilder};

use super::criteria::{OrderCriteria, StockCriteria, NOT_SALES};
use super::document::{OrderDoc, StockDoc};
use super::error::SearchError;
use super::request::{
    Backend, OrderFacets, OrderPage, SalesBucket, Scope, StatusCount, StockPage, Total,
};
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
    let docs: Vec<Json<OrderDoc>> = qb.build_query_scalar().fetch_all(pool).await?;
    let (docs, next_cursor) = order_page(docs.into_iter().map(|Json(d)| d).collect(), c.size);
    // the first page's status counts add up to the total
    let (total, facets) = match c.after {
        None => {
            let facets = facets(pool, c).await?;
            let value = facets.status.iter().map(|s| s.count).sum();
            (Total { value, exact: true }, Some(facets))
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
    Ok(bounded(qb.build_query_scalar().fetch_one(pool).await?))
}

fn bounded(count: i64) -> Total {
    Total {
        value: u64::try_from(count.min(COUNT_LIMIT)).unwrap_or_default(),
        exact: count <= COUNT_LIMIT,
    }
}

async fn facets(pool: &PgPool, c: &OrderCriteria) -> Result<OrderFacets, SearchError> {
    let mut qb = QueryBuilder::new(format!("select {}, count(*)", source(c, false).status));
    push_matching(&mut qb, c, false);
    qb.push(" group by 1");
    let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await?;
    let mut status: Vec<StatusCount> = rows
        .into_iter()
        .map(|(status, count)| StatusCount {
            status,
            count: u64::try_from(count).unwrap_or_default(),
        })
        .collect();
    status.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));
    Ok(OrderFacets {
        status,
        sales: sales(pool, c).await?,
    })
}

type SalesRow = (String, chrono::NaiveDate, String, i64, i64, i64);

/// Sales of the matching orders' parts; in vendor scope the matching rows
/// are the vendor's own parts.
async fn sales(pool: &PgPool, c: &OrderCriteria) -> Result<Vec<SalesBucket>, SearchError> {
    let mut qb = if c.vendor_scope().is_some() {
        let mut qb = QueryBuilder::new(
            "select v.vendor_id, (v.placed_at at time zone 'UTC')::date, v.currency, count(*), \
                    sum(v.subtotal)::bigint, sum(v.refunded)::bigint",
        );
        push_matching(&mut qb, c, false);
        qb.push(" and v.status <> all(")
            .push_bind(not_sales())
            .push(")");
        qb
    } else {
        let mut qb = QueryBuilder::new(
            "select sv.vendor_id, (sv.placed_at at time zone 'UTC')::date, sv.currency, count(*), \
                    sum(sv.subtotal)::bigint, sum(sv.refunded)::bigint \
               from read.search_order_vendors sv where sv.status <> all(",
        );
        qb.push_bind(not_sales())
            .push(") and sv.order_id in (select o.order_id");
        push_matching(&mut qb, c, false);
        qb.push(")");
        qb
    };
    qb.push(" group by 1, 2, 3 order by 1, 2, 3");
    let rows: Vec<SalesRow> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(bucket).collect())
}

fn not_sales() -> Vec<String> {
    NOT_SALES.iter().map(|s| (*s).to_owned()).collect()
}

fn bucket((vendor_id, day, currency, orders, gross, refunded): SalesRow) -> SalesBucket {
    SalesBucket {
        vendor_id,
        day,
        currency,
        orders: u64::try_from(orders).unwrap_or_default(),
        gross,
        refunded,
    }
}

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
