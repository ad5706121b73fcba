//! Reading the `read.*` views back, and the identities every state of them
//! keeps.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

/// Every table of one generation, exposed or not.
pub(crate) const TABLES: [&str; 5] = [
    "vendor_order_balances",
    "vendor_balances",
    "payout_ledger",
    "platform_fees",
    "escrow_milestone",
];

/// A `read.vendor_order_balances` row without its bookkeeping columns.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct VendorOrder {
    pub(crate) currency: String,
    pub(crate) allocated: i64,
    pub(crate) fee: i64,
    pub(crate) net: i64,
    pub(crate) fee_refunded: i64,
    pub(crate) net_refunded: i64,
    pub(crate) held: i64,
    pub(crate) available: i64,
    pub(crate) paid_out: i64,
    pub(crate) debt: i64,
    pub(crate) hold_state: String,
    pub(crate) hold_until: Option<DateTime<Utc>>,
    pub(crate) held_in_escrow: i64,
}

impl VendorOrder {
    /// Right after the split: all of the net held, the gross in escrow.
    pub(crate) fn split(allocated: i64, fee: i64) -> Self {
        Self {
            currency: "EUR".into(),
            allocated,
            fee,
            net: allocated - fee,
            fee_refunded: 0,
            net_refunded: 0,
            held: allocated - fee,
            available: 0,
            paid_out: 0,
            debt: 0,
            hold_state: "unscheduled".into(),
            hold_until: None,
            held_in_escrow: allocated,
        }
    }

    /// Released from escrow and paid out in full after a hold until `until`.
    pub(crate) fn paid_out(allocated: i64, fee: i64, until: DateTime<Utc>) -> Self {
        Self {
            held: 0,
            paid_out: allocated - fee,
            hold_state: "lifted".into(),
            hold_until: Some(until),
            held_in_escrow: 0,
            ..Self::split(allocated, fee)
        }
    }
}

pub(crate) async fn vendor_order(pool: &PgPool, order: &str, vendor: &str) -> VendorOrder {
    sqlx::query_as(
        "select currency, allocated, fee, net, fee_refunded, net_refunded, held, available, paid_out, \
                debt, hold_state, hold_until, held_in_escrow \
           from read.vendor_order_balances where order_id = $1 and vendor_id = $2",
    )
    .bind(order)
    .bind(vendor)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// A `read.vendor_balances` row: earned, held, held_in_escrow, available,
/// paid_out, debt, orders.
pub(crate) async fn vendor_totals(pool: &PgPool, vendor: &str) -> [i64; 7] {
    let row: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select earned, held, held_in_escrow, available, paid_out, debt, orders \
           from read.vendor_balances where vendor_id = $1 and currency = 'EUR'",
    )
    .bind(vendor)
    .fetch_one(pool)
    .await
    .unwrap();
    [row.0, row.1, row.2, row.3, row.4, row.5, row.6]
}

/// A vendor's ledger as (kind, amount, detail), in log order.
pub(crate) async fn ledger(pool: &PgPool, vendor: &str) -> Vec<(String, i64, Option<String>)> {
    sqlx::query_as(
        "select kind, amount, detail from read.payout_ledger where vendor_id = $1 \
          order by position, kind",
    )
    .bind(vendor)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// The reference of a vendor's only ledger entry of `kind`.
pub(crate) async fn reference(pool: &PgPool, vendor: &str, kind: &str) -> String {
    sqlx::query_scalar(
        "select reference from read.payout_ledger where vendor_id = $1 and kind = $2",
    )
    .bind(vendor)
    .bind(kind)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// `read.platform_fees` of an order: captured, platform_fee,
/// platform_fee_refunded, refunded, charged_back, remaining.
pub(crate) async fn platform_fees(pool: &PgPool, order: &str) -> [i64; 6] {
    let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select captured, platform_fee, platform_fee_refunded, refunded, charged_back, remaining \
           from read.platform_fees where order_id = $1",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .unwrap();
    [row.0, row.1, row.2, row.3, row.4, row.5]
}

/// For every vendor and currency: `vendor_balances` is the sum of its
/// `vendor_order_balances`; the `in_balance` ledger entries add up to
/// `earned - paid_out = held + available - debt`; the debt entries add up
/// to `-debt`. Returns how many (vendor, currency) rows were checked.
pub(crate) async fn assert_identities(pool: &PgPool) -> usize {
    let rows: Vec<(String, i64, i64, i64, i64, i64)> = sqlx::query_as(
        "select b.vendor_id, b.earned - b.paid_out, b.held + b.available - b.debt, -b.debt, \
                (select coalesce(sum(amount), 0)::bigint from read.payout_ledger l \
                  where l.vendor_id = b.vendor_id and l.currency = b.currency and l.in_balance), \
                (select coalesce(sum(amount), 0)::bigint from read.payout_ledger l \
                  where l.vendor_id = b.vendor_id and l.currency = b.currency \
                    and l.kind in ('debt_incurred', 'debt_recovered')) \
           from read.vendor_balances b order by b.vendor_id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for (vendor, owed, held_less_debt, minus_debt, ledger, debts) in &rows {
        assert_eq!(owed, held_less_debt, "{vendor}: earned - paid_out");
        assert_eq!(ledger, owed, "{vendor}: ledger sum");
        assert_eq!(debts, minus_debt, "{vendor}: debt entries");
    }
    let drift: i64 = sqlx::query_scalar(
        "select count(*) from read.vendor_balances b \
           full join (select vendor_id, currency, sum(net - net_refunded) as earned, sum(held) as held, \
                             sum(held_in_escrow) as held_in_escrow, sum(available) as available, \
                             sum(paid_out) as paid_out, sum(debt) as debt, count(*) as orders \
                        from read.vendor_order_balances group by vendor_id, currency) s \
             using (vendor_id, currency) \
          where (b.earned, b.held, b.held_in_escrow, b.available, b.paid_out, b.debt, b.orders) \
                is distinct from (s.earned, s.held, s.held_in_escrow, s.available, s.paid_out, s.debt, s.orders)",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(drift, 0, "vendor_balances rows that are not the sums");
    rows.len()
}

/// Every row of `schema.table` as JSON, in a stable order.
pub(crate) async fn snapshot(pool: &PgPool, schema: &str, table: &str) -> serde_json::Value {
    sqlx::query_scalar(&format!(
        "select coalesce(jsonb_agg(to_jsonb(t) order by to_jsonb(t)::text), '[]') from {schema}.{table} t"
    ))
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Every table of the generation in `schema`, as [`snapshot`]s.
pub(crate) async fn snapshots(pool: &PgPool, schema: &str) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for table in TABLES {
        all.push(snapshot(pool, schema, table).await);
    }
    all
}
