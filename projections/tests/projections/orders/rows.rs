//! Running the projection and reading its rows back.

use bazaar_projections::generation::schema_name;
use bazaar_projections::read_models::orders::Orders;
use bazaar_projections::Projection;
use bazaar_testkit::read;
use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// A row of `read.orders`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct OrderRow {
    pub(crate) order_id: String,
    pub(crate) buyer_id: String,
    pub(crate) currency: String,
    pub(crate) total: i64,
    pub(crate) status: String,
    pub(crate) fee_rate_bps: i32,
    pub(crate) placed_at: DateTime<Utc>,
    pub(crate) payment_due_at: DateTime<Utc>,
    pub(crate) paid_at: Option<DateTime<Utc>>,
    pub(crate) payment_id: Option<String>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) cancel_reason: Option<String>,
    pub(crate) refunded_total: i64,
    pub(crate) vendor_count: i32,
    pub(crate) last_sequence: i64,
    pub(crate) updated_at: DateTime<Utc>,
}

/// The quantities and money of a row of `read.order_lines`; the
/// descriptive columns are checked by [`line_facts`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct LineRow {
    pub(crate) line_no: i32,
    pub(crate) vendor_id: String,
    pub(crate) quantity: i32,
    pub(crate) unit_price: i64,
    pub(crate) line_total: i64,
    pub(crate) shipped_quantity: i32,
    pub(crate) return_requested_quantity: i32,
    pub(crate) returned_quantity: i32,
    pub(crate) damaged_quantity: i32,
    pub(crate) refunded_amount: i64,
}

/// A row of `read.vendor_orders` without `updated_at`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(crate) struct VendorRow {
    pub(crate) vendor_id: String,
    pub(crate) buyer_id: String,
    pub(crate) status: String,
    pub(crate) subtotal: i64,
    pub(crate) refunded: i64,
    pub(crate) currency: String,
    pub(crate) tracking: Option<String>,
    pub(crate) packed_at: Option<DateTime<Utc>>,
    pub(crate) shipped_at: Option<DateTime<Utc>>,
    pub(crate) delivered_at: Option<DateTime<Utc>>,
    pub(crate) delivery_confirmed_by: Option<String>,
    pub(crate) auto_confirm_at: Option<DateTime<Utc>>,
    pub(crate) completed_at: Option<DateTime<Utc>>,
    pub(crate) cancelled_at: Option<DateTime<Utc>>,
    pub(crate) placed_at: DateTime<Utc>,
}

impl VendorRow {
    /// A vendor order of buyer-1 placed at `placed_at` and nothing else yet.
    pub(crate) fn placed(
        vendor_id: &str,
        status: &str,
        subtotal: i64,
        placed_at: DateTime<Utc>,
    ) -> Self {
        Self {
            vendor_id: vendor_id.to_owned(),
            buyer_id: "buyer-1".to_owned(),
            status: status.to_owned(),
            subtotal,
            refunded: 0,
            currency: "EUR".to_owned(),
            tracking: None,
            packed_at: None,
            shipped_at: None,
            delivered_at: None,
            delivery_confirmed_by: None,
            auto_confirm_at: None,
            completed_at: None,
            cancelled_at: None,
            placed_at,
        }
    }
}

/// Creates the live generation if needed and applies every event in the
/// log to it; returns the generation.
pub(crate) async fn project(pool: &PgPool) -> i32 {
    read::project(pool, &Orders).await.generation
}

pub(crate) async fn order(pool: &PgPool, id: &str) -> OrderRow {
    sqlx::query_as("select * from read.orders where order_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

pub(crate) async fn lines(pool: &PgPool, id: &str) -> Vec<LineRow> {
    sqlx::query_as("select * from read.order_lines where order_id = $1 order by line_no")
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// `(line_no, product_id, sku, warehouse_id, title, currency)` per line.
pub(crate) async fn line_facts(
    pool: &PgPool,
    id: &str,
) -> Vec<(i32, String, String, String, String, String)> {
    sqlx::query_as(
        "select line_no, product_id, sku, warehouse_id, title, currency from read.order_lines \
          where order_id = $1 order by line_no",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

pub(crate) async fn vendor_orders(pool: &PgPool, id: &str) -> Vec<VendorRow> {
    sqlx::query_as(
        "select * from read.vendor_orders where order_id = $1 order by placed_at, vendor_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// `(sequence, recorded_at)` of the order's `n`-th event (from 1), or of
/// its last when `n` is 0.
pub(crate) async fn event_stamp(pool: &PgPool, id: &str, n: i64) -> (i64, DateTime<Utc>) {
    sqlx::query_as(
        "select sequence, recorded_at from events where aggregate_type = 'Order' and aggregate_id = $1 \
            and ($2 = 0 or sequence = $2) order by sequence desc limit 1",
    )
    .bind(id)
    .bind(n)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Every row of a generation's three tables as JSON, in key order.
pub(crate) async fn dump(pool: &PgPool, generation: i32) -> Vec<String> {
    let schema = schema_name(Orders::NAME, generation);
    let mut tables = Vec::new();
    for (table, key) in [
        ("orders", "order_id"),
        ("order_lines", "order_id, line_no"),
        ("vendor_orders", "order_id, vendor_id"),
    ] {
        let sql = format!("select coalesce(jsonb_agg(to_jsonb(t) order by {key}), '[]')::text from {schema}.{table} t");
        tables.push(sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap());
    }
    tables
}
