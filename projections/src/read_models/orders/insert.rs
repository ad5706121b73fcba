//! The statement that inserts the orders placed in a batch: their
//! `orders`, `vendor_orders` and `order_lines` rows, each table's rows as
//! `unnest`ed column arrays, all three in one statement (data-modifying
//! `with` clauses) so a batch's placements cost one round trip, not three.
//!
//! With the foreign keys in place (a live generation), the rows of every
//! table are checked at the end of the statement, when the three inserts
//! are done, so the child rows find their orders.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use bazaar_domain::order::event::{PlacedLine, PlacedVendorOrder};
use bazaar_domain::order::OrderEvent;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres};

use super::fold::{LinePatch, Placed, VendorPatch};
use super::store::unnest;
use crate::projection::ApplyError;

type Time = chrono::DateTime<chrono::Utc>;
type Statement<'q> = Query<'q, Postgres, PgArguments>;

const ORDERS: &str =
    "orders (order_id, buyer_id, currency, total, status, fee_rate_bps, placed_at, \
     payment_due_at, vendor_count, last_sequence, updated_at, paid_at, payment_id, cancelled_at, \
     cancel_reason, refunded_total)";
const ORDER_TYPES: [&str; 16] = [
    "text",
    "text",
    "text",
    "int8",
    "text",
    "int4",
    "timestamptz",
    "timestamptz",
    "int4",
    "int8",
    "timestamptz",
    "timestamptz",
    "text",
    "timestamptz",
    "text",
    "int8",
];
const VENDOR_ORDERS: &str =
    "vendor_orders (order_id, vendor_id, buyer_id, status, subtotal, currency, \
     placed_at, updated_at, refunded, tracking, packed_at, shipped_at, delivered_at, \
     delivery_confirmed_by, auto_confirm_at, completed_at, cancelled_at)";
const VENDOR_TYPES: [&str; 17] = [
    "text",
    "text",
    "text",
    "text",
    "int8",
    "text",
    "timestamptz",
    "timestamptz",
    "int8",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
    "text",
    "timestamptz",
    "timestamptz",
    "timestamptz",
];
const ORDER_LINES: &str = "order_lines (order_id, line_no, vendor_id, product_id, sku, warehouse_id, \
     title, quantity, unit_price, line_total, currency, shipped_quantity, return_requested_quantity, \
     returned_quantity, damaged_quantity, refunded_amount)";
const LINE_TYPES: [&str; 16] = [
    "text", "int4", "text", "text", "text", "text", "text", "int4", "int8", "int8", "text", "int8",
    "int8", "int8", "int8", "int8",
];

/// The one insert of a batch's placements, its parameters the columns of
/// `orders`, then `vendor_orders`, then `order_lines`.
static INSERT: LazyLock<String> = LazyLock::new(|| {
    let vendors_from = 1 + ORDER_TYPES.len();
    let lines_from = vendors_from + VENDOR_TYPES.len();
    format!(
        "with placed_orders as (insert into {ORDERS} select * from {}), \
              placed_vendor_orders as (insert into {VENDOR_ORDERS} select * from {}) \
         insert into {ORDER_LINES} select * from {}",
        unnest(&ORDER_TYPES, 1),
        unnest(&VENDOR_TYPES, vendors_from),
        unnest(&LINE_TYPES, lines_from)
    )
});

/// Inserts the rows of the orders placed in a batch (with what later
/// events of the batch changed), in one statement.
pub(super) async fn insert_placed(
    conn: &mut PgConnection,
    placed: &BTreeMap<String, Placed>,
) -> Result<(), ApplyError> {
    let mut orders = OrderColumns::default();
    let mut vendors = VendorColumns::default();
    for (order_id, order) in placed {
        orders.push(order_id, order)?;
        for vendor_order in order.vendor_orders() {
            vendors.push(order_id, order, vendor_order);
        }
    }
    let lines = LineColumns::of(placed)?;
    let statement = sqlx::query(INSERT.as_str());
    lines
        .bind(vendors.bind(orders.bind(statement)))
        .execute(conn)
        .await?;
    Ok(())
}

/// `orders` rows of the placed orders, as columns.
#[derive(Default)]
struct OrderColumns<'a> {
    order_id: Vec<&'a str>,
    buyer_id: Vec<&'a str>,
    currency: Vec<String>,
    total: Vec<i64>,
    status: Vec<&'static str>,
    fee_rate_bps: Vec<i32>,
    placed_at: Vec<Time>,
    payment_due_at: Vec<Time>,
    vendor_count: Vec<i32>,
    last_sequence: Vec<i64>,
    updated_at: Vec<Time>,
    paid_at: Vec<Option<Time>>,
    payment_id: Vec<Option<&'a str>>,
    cancelled_at: Vec<Option<Time>>,
    cancel_reason: Vec<Option<&'a str>>,
    refunded_total: Vec<i64>,
}

impl<'a> OrderColumns<'a> {
    /// `statement` with these columns bound, in table order.
    fn bind<'q>(self, statement: Statement<'q>) -> Statement<'q>
    where
        'a: 'q,
    {
        statement
            .bind(self.order_id)
            .bind(self.buyer_id)
            .bind(self.currency)
            .bind(self.total)
            .bind(self.status)
            .bind(self.fee_rate_bps)
            .bind(self.placed_at)
            .bind(self.payment_due_at)
            .bind(self.vendor_count)
            .bind(self.last_sequence)
            .bind(self.updated_at)
            .bind(self.paid_at)
            .bind(self.payment_id)
            .bind(self.cancelled_at)
            .bind(self.cancel_reason)
            .bind(self.refunded_total)
    }

    fn push(&mut self, order_id: &'a str, order: &'a Placed) -> Result<(), ApplyError> {
        let OrderEvent::OrderPlaced {
            buyer,
            currency,
            fee_rate,
            placed_at,
            payment_due_at,
            total,
            vendor_orders,
            order_status,
        } = &order.event
        else {
            return Err(ApplyError::poison("a placement that is not OrderPlaced"));
        };
        let patch = &order.order;
        let patched = !patch.status.is_empty();
        self.order_id.push(order_id);
        self.buyer_id.push(buyer.as_ref());
        self.currency.push(currency.to_string());
        self.total.push(total.amount());
        self.status.push(if patched {
            patch.status
        } else {
            order_status.as_str()
        });
        self.fee_rate_bps
            .push(i32::try_from(fee_rate.bps()).map_err(ApplyError::poison)?);
        self.placed_at.push(*placed_at);
        self.payment_due_at
            .push(patch.payment_due_at.unwrap_or(*payment_due_at));
        self.vendor_count
            .push(i32::try_from(vendor_orders.len()).map_err(ApplyError::poison)?);
        self.last_sequence.push(if patched {
            patch.last_sequence
        } else {
            order.sequence
        });
        self.updated_at
            .push(patch.updated_at.unwrap_or(order.recorded_at));
        self.paid_at.push(patch.paid_at);
        self.payment_id.push(patch.payment_id.as_deref());
        self.cancelled_at.push(patch.cancelled_at);
        self.cancel_reason.push(patch.cancel_reason.as_deref());
        let refunded = order.vendors.values().filter_map(|v| v.refunded);
        self.refunded_total.push(refunded.sum());
        Ok(())
    }
}

/// The buyer and placement time of a placed order.
fn buyer_and_time(order: &Placed) -> (&str, Time) {
    match &order.event {
        OrderEvent::OrderPlaced {
            buyer, placed_at, ..
        } => (buyer.as_ref(), *placed_at),
        _ => ("", order.recorded_at),
    }
}

/// `vendor_orders` rows of the placed orders, as columns.
#[derive(Default)]
struct VendorColumns<'a> {
    order_id: Vec<&'a str>,
    vendor_id: Vec<&'a str>,
    buyer_id: Vec<&'a str>,
    status: Vec<&'static str>,
    subtotal: Vec<i64>,
    currency: Vec<String>,
    placed_at: Vec<Time>,
    updated_at: Vec<Time>,
    refunded: Vec<i64>,
    tracking: Vec<Option<&'a str>>,
    packed_at: Vec<Option<Time>>,
    shipped_at: Vec<Option<Time>>,
    delivered_at: Vec<Option<Time>>,
    confirmed_by: Vec<Option<&'static str>>,
    auto_confirm_at: Vec<Option<Time>>,
    completed_at: Vec<Option<Time>>,
    cancelled_at: Vec<Option<Time>>,
}

impl<'a> VendorColumns<'a> {
    /// `statement` with these columns bound, in table order.
    fn bind<'q>(self, statement: Statement<'q>) -> Statement<'q>
    where
        'a: 'q,
    {
        statement
            .bind(self.order_id)
            .bind(self.vendor_id)
            .bind(self.buyer_id)
            .bind(self.status)
            .bind(self.subtotal)
            .bind(self.currency)
            .bind(self.placed_at)
            .bind(self.updated_at)
            .bind(self.refunded)
            .bind(self.tracking)
            .bind(self.packed_at)
            .bind(self.shipped_at)
            .bind(self.delivered_at)
            .bind(self.confirmed_by)
            .bind(self.auto_confirm_at)
            .bind(self.completed_at)
            .bind(self.cancelled_at)
    }

    fn push(&mut self, order_id: &'a str, order: &'a Placed, vendor_order: &'a PlacedVendorOrder) {
        let (buyer, placed_at) = buyer_and_time(order);
        let patch = order.vendors.get(vendor_order.vendor.as_ref());
        let none = VendorPatch::default();
        let p = patch.unwrap_or(&none);
        self.order_id.push(order_id);
        self.vendor_id.push(vendor_order.vendor.as_ref());
        self.buyer_id.push(buyer);
        self.status
            .push(patch.map_or(vendor_order.status.as_str(), |p| p.status));
        self.subtotal
            .push(p.subtotal.unwrap_or(vendor_order.subtotal.amount()));
        self.currency
            .push(vendor_order.subtotal.currency().to_string());
        self.placed_at.push(placed_at);
        self.updated_at
            .push(p.updated_at.unwrap_or(order.recorded_at));
        self.refunded.push(p.refunded.unwrap_or(0));
        self.tracking
            .push(patch.and_then(|p| p.tracking.as_deref()));
        self.packed_at.push(p.packed_at);
        self.shipped_at.push(p.shipped_at);
        self.delivered_at.push(p.delivered_at);
        self.confirmed_by.push(p.confirmed_by);
        self.auto_confirm_at.push(p.auto_confirm_at);
        self.completed_at.push(p.completed_at);
        self.cancelled_at.push(p.cancelled_at);
    }
}

/// `order_lines` rows of the placed orders, as columns.
#[derive(Default)]
struct LineColumns<'a> {
    order_id: Vec<&'a str>,
    line_no: Vec<i32>,
    vendor: Vec<&'a str>,
    product: Vec<&'a str>,
    sku: Vec<&'a str>,
    warehouse: Vec<&'a str>,
    title: Vec<&'a str>,
    quantity: Vec<i32>,
    unit_price: Vec<i64>,
    line_total: Vec<i64>,
    currency: Vec<String>,
    shipped: Vec<i64>,
    requested: Vec<i64>,
    returned: Vec<i64>,
    damaged: Vec<i64>,
    refunded: Vec<i64>,
}

impl<'a> LineColumns<'a> {
    /// `statement` with these columns bound, in table order.
    fn bind<'q>(self, statement: Statement<'q>) -> Statement<'q>
    where
        'a: 'q,
    {
        statement
            .bind(self.order_id)
            .bind(self.line_no)
            .bind(self.vendor)
            .bind(self.product)
            .bind(self.sku)
            .bind(self.warehouse)
            .bind(self.title)
            .bind(self.quantity)
            .bind(self.unit_price)
            .bind(self.line_total)
            .bind(self.currency)
            .bind(self.shipped)
            .bind(self.requested)
            .bind(self.returned)
            .bind(self.damaged)
            .bind(self.refunded)
    }

    fn of(placed: &'a BTreeMap<String, Placed>) -> Result<Self, ApplyError> {
        let mut c = Self::default();
        for (order_id, order) in placed {
            for vendor_order in order.vendor_orders() {
                for line in &vendor_order.lines {
                    c.push(order_id, order, vendor_order, line)?;
                }
            }
        }
        Ok(c)
    }

    fn push(
        &mut self,
        order_id: &'a str,
        order: &'a Placed,
        vendor_order: &'a PlacedVendorOrder,
        line: &'a PlacedLine,
    ) -> Result<(), ApplyError> {
        let int = |n: u32| i32::try_from(n).map_err(ApplyError::poison);
        let none = LinePatch::default();
        let p = order.lines.get(&line.line_no).unwrap_or(&none);
        self.order_id.push(order_id);
        self.line_no.push(int(line.line_no)?);
        self.vendor.push(vendor_order.vendor.as_ref());
        self.product.push(line.product.as_ref());
        self.sku.push(line.sku.as_ref());
        self.warehouse.push(line.warehouse.as_ref());
        self.title.push(&line.title);
        self.quantity.push(int(line.quantity)?);
        self.unit_price.push(line.unit_price.amount());
        self.line_total.push(line.line_total.amount());
        self.currency.push(line.line_total.currency().to_string());
        self.shipped.push(p.shipped.map_or(0, i64::from));
        self.requested.push(p.requested.map_or(0, i64::from));
        self.returned.push(p.returned.map_or(0, i64::from));
        self.damaged.push(p.damaged);
        self.refunded.push(p.refunded.unwrap_or(0));
        Ok(())
    }
}
