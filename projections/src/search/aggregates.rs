//! Facet counts kept by the `search` projection (`search_facet_status`,
//! `search_facet_sales` in `tables.sql`), so that the searches filtering on
//! nothing but their scope (an admin's or a vendor's first page) read a few
//! rows instead of grouping every order on every request.
//!
//! Every write of order documents ([`super::rows::write_orders`]) takes
//! the touched orders' rows out of the counts before it writes them
//! ([`retract`]) and counts them in again afterwards ([`count_in`]), each
//! with one statement over the batch's orders; counts that fall to zero are
//! deleted, so a rebuild from the log yields the same rows. The counts are
//! read from the very rows the Postgres fallback searches, so they equal
//! what grouping them answers ([`super::postgres::facets_by_scan`], which
//! the tests compare them with).

use sqlx::{PgConnection, PgPool};

use super::criteria::{OrderCriteria, NOT_SALES};
use super::error::SearchError;
use super::request::{OrderFacets, SalesBucket, StatusCount};

/// The `vendor_id` of the whole orders' status counts (vendor ids are
/// never empty).
const ORDERS: &str = "";

/// Adds `sign` times the current rows of `order_ids` to the counts. The
/// rows are looked up order by order in the index, whatever the statistics
/// say (as `crate::read_models::table::by_key` explains).
const DELTA: &str = "\
with wanted as (
    select distinct unnest($1::text[]) as key
), parts as (
    select p.vendor_id, p.status, p.currency, p.subtotal, p.refunded, p.placed_at
      from wanted cross join lateral (
           select * from search_order_vendors where order_id = wanted.key offset 0) p
), statuses as (
    insert into search_facet_status (vendor_id, status, n)
    select $3, o.status, $2 * count(*)
      from wanted cross join lateral (
           select status from search_orders where order_id = wanted.key offset 0) o
     group by o.status
    union all
    select vendor_id, status, $2 * count(*) from parts group by vendor_id, status
    on conflict (vendor_id, status) do update set n = search_facet_status.n + excluded.n
)
insert into search_facet_sales (vendor_id, day, currency, n, gross, refunded)
select vendor_id, (placed_at at time zone 'UTC')::date, currency, $2 * count(*),
       ($2 * sum(subtotal))::bigint, ($2 * sum(refunded))::bigint
  from parts where status <> all($4) group by 1, 2, 3
on conflict (vendor_id, day, currency) do update set n = search_facet_sales.n + excluded.n,
       gross = search_facet_sales.gross + excluded.gross,
       refunded = search_facet_sales.refunded + excluded.refunded";

/// Deletes the counts that fell to zero: statuses anywhere (a few rows per
/// vendor), sales among the buckets of `order_ids` (a part never changes
/// bucket).
const PRUNE: &str = "\
with statuses as (delete from search_facet_status where n = 0)
delete from search_facet_sales s
 using (select distinct vendor_id, (placed_at at time zone 'UTC')::date as day, currency
          from (select distinct unnest($1::text[])) as wanted(key)
         cross join lateral (
               select * from search_order_vendors where order_id = wanted.key offset 0) p) k
 where s.vendor_id = k.vendor_id and s.day = k.day and s.currency = k.currency and s.n = 0";

async fn delta(conn: &mut PgConnection, order_ids: &[&str], sign: i64) -> sqlx::Result<()> {
    sqlx::query(DELTA)
        .bind(order_ids)
        .bind(sign)
        .bind(ORDERS)
        .bind(not_sales())
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the stored rows of `order_ids` out of the counts (before they are
/// written again).
pub(super) async fn retract(conn: &mut PgConnection, order_ids: &[&str]) -> sqlx::Result<()> {
    delta(conn, order_ids, -1).await
}

/// Counts the rows of `order_ids` in (after they were written), then
/// deletes the counts that fell to zero.
pub(super) async fn count_in(conn: &mut PgConnection, order_ids: &[&str]) -> sqlx::Result<()> {
    delta(&mut *conn, order_ids, 1).await?;
    sqlx::query(PRUNE).bind(order_ids).execute(conn).await?;
    Ok(())
}

/// The sales statuses' complement, bound as a parameter.
pub(super) fn not_sales() -> Vec<String> {
    NOT_SALES.iter().map(|s| (*s).to_owned()).collect()
}

/// Whether the kept counts answer `c`'s facets: an admin's or a vendor's
/// search with no filter but its scope.
pub(super) fn cover(c: &OrderCriteria) -> bool {
    let unfiltered = c.text.is_none()
        && c.statuses.is_empty()
        && c.vendor_id.is_none()
        && c.buyer_id.is_none()
        && c.placed_from.is_none()
        && c.placed_before.is_none()
        && c.currency.is_none()
        && c.amount_min.is_none()
        && c.amount_max.is_none();
    unfiltered && !matches!(c.scope, super::request::Scope::Buyer(_))
}

/// A sales bucket as a row: vendor, day, currency, parts, gross, refunded.
pub(super) type SalesRow = (String, chrono::NaiveDate, String, i64, i64, i64);

/// The facets of an unfiltered search in the whole catalogue (`vendor`
/// `None`) or in a vendor's scope, from the kept counts.
pub(super) async fn facets(
    pool: &PgPool,
    vendor: Option<&str>,
) -> Result<OrderFacets, SearchError> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("select status, n from read.search_facet_status where vendor_id = $1")
            .bind(vendor.unwrap_or(ORDERS))
            .fetch_all(pool)
            .await?;
    let sales = sales(pool, vendor).await?;
    Ok(OrderFacets {
        status: status_counts(rows),
        sales: sales.into_iter().map(bucket).collect(),
        exact: true,
        counted_since: None,
    })
}

/// Every sales bucket (`vendor` `None`), or a vendor's own: two statements,
/// not one with `$1 is null or vendor_id = $1`, whose generic plan (a
/// prepared statement's after a few runs) scans every vendor's buckets
/// instead of the vendor's range of the primary key.
async fn sales(pool: &PgPool, vendor: Option<&str>) -> sqlx::Result<Vec<SalesRow>> {
    let all = "select vendor_id, day, currency, n, gross, refunded from read.search_facet_sales \
               order by 1, 2, 3";
    let own = "select vendor_id, day, currency, n, gross, refunded from read.search_facet_sales \
               where vendor_id = $1 order by 1, 2, 3";
    match vendor {
        None => sqlx::query_as(all).fetch_all(pool).await,
        Some(vendor) => sqlx::query_as(own).bind(vendor).fetch_all(pool).await,
    }
}

/// Status counts, most frequent first, ties by status.
pub(super) fn status_counts(rows: Vec<(String, i64)>) -> Vec<StatusCount> {
    let mut status: Vec<StatusCount> = rows
        .into_iter()
        .map(|(status, count)| StatusCount {
            status,
            count: u64::try_from(count).unwrap_or_default(),
        })
        .collect();
    status.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));
    status
}

/// One sales row as a bucket.
pub(super) fn bucket((vendor_id, day, currency, orders, gross, refunded): SalesRow) -> SalesBucket {
    SalesBucket {
        vendor_id,
        day,
        currency,
        orders: u64::try_from(orders).unwrap_or_default(),
        gross,
        refunded,
    }
}
