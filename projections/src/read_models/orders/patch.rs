//! The statement that patches the rows of orders placed before a batch:
//! `orders`, `vendor_orders` and `order_lines` updated from `unnest`ed
//! column arrays, all three in one statement (data-modifying `with`
//! clauses, one round trip instead of three), which answers with the keys
//! of the patches that found no row.
//!
//! A patch that finds no row (a vendor or line the order does not have)
//! fails the batch as a whole; the runtime then applies its events one at a
//! time and names the event that cannot be applied.

use std::sync::LazyLock;

use sqlx::PgConnection;

use super::fold::{Fold, LinePatch};
use super::store::unnest;
use crate::projection::ApplyError;

const ORDER_TYPES: [&str; 9] = [
    "text",
    "text",
    "int8",
    "timestamptz",
    "timestamptz",
    "text",
    "timestamptz",
    "timestamptz",
    "text",
];
const VENDOR_TYPES: [&str; 14] = [
    "text",
    "text",
    "text",
    "timestamptz",
    "int8",
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
const LINE_TYPES: [&str; 7] = ["text", "int8", "int8", "int8", "int8", "int8", "int8"];

/// The one update of a batch's patches, its parameters the columns of the
/// order patches, then the vendor order patches, then the line patches;
/// it returns the keys of each kind that matched no row, as text.
static PATCH: LazyLock<String> = LazyLock::new(|| {
    let vendors = 1 + ORDER_TYPES.len();
    let lines = vendors + VENDOR_TYPES.len();
    format!(
        "with patched_orders as ( \
           update orders o set status = p.status, last_sequence = p.last_sequence, \
                  updated_at = p.updated_at, paid_at = coalesce(p.paid_at, o.paid_at), \
                  payment_id = coalesce(p.payment_id, o.payment_id), \
                  payment_due_at = coalesce(p.payment_due_at, o.payment_due_at), \
                  cancelled_at = coalesce(p.cancelled_at, o.cancelled_at), \
                  cancel_reason = coalesce(p.cancel_reason, o.cancel_reason) \
             from {} as p(order_id, status, last_sequence, updated_at, paid_at, payment_id, \
                          payment_due_at, cancelled_at, cancel_reason) \
            where o.order_id = p.order_id \
           returning o.order_id), \
         patched_vendor_orders as ( \
           update vendor_orders v set status = p.status, updated_at = p.updated_at, \
                  subtotal = coalesce(p.subtotal, v.subtotal), \
                  refunded = coalesce(p.refunded, v.refunded), \
                  tracking = coalesce(p.tracking, v.tracking), \
                  packed_at = coalesce(p.packed_at, v.packed_at), \
                  shipped_at = coalesce(p.shipped_at, v.shipped_at), \
                  delivered_at = coalesce(p.delivered_at, v.delivered_at), \
                  delivery_confirmed_by = coalesce(p.confirmed_by, v.delivery_confirmed_by), \
                  auto_confirm_at = coalesce(p.auto_confirm_at, v.auto_confirm_at), \
                  completed_at = coalesce(p.completed_at, v.completed_at), \
                  cancelled_at = coalesce(p.cancelled_at, v.cancelled_at) \
             from {} as p(order_id, vendor_id, status, updated_at, subtotal, refunded, tracking, \
                          packed_at, shipped_at, delivered_at, confirmed_by, auto_confirm_at, \
                          completed_at, cancelled_at) \
            where v.order_id = p.order_id and v.vendor_id = p.vendor_id \
           returning v.order_id, v.vendor_id), \
         patched_lines as ( \
           update order_lines l set \
                  shipped_quantity = coalesce(p.shipped, l.shipped_quantity), \
                  return_requested_quantity = coalesce(p.requested, l.return_requested_quantity), \
                  returned_quantity = coalesce(p.returned, l.returned_quantity), \
                  damaged_quantity = l.damaged_quantity + p.damaged, \
                  refunded_amount = coalesce(p.refunded, l.refunded_amount) \
             from {} as p(order_id, line_no, shipped, requested, returned, damaged, refunded) \
            where l.order_id = p.order_id and l.line_no = p.line_no \
           returning l.order_id, l.line_no) \
         select array(select unnest($1::text[]) except select order_id from patched_orders), \
                array(select format('(%s, %s)', o, v) from ( \
                        select * from unnest(${vendors}::text[], ${}::text[]) \
                        except select order_id, vendor_id from patched_vendor_orders) m(o, v)), \
                array(select format('(%s, %s)', o, n) from ( \
                        select * from unnest(${lines}::text[], ${}::int8[]) \
                        except select order_id, line_no::int8 from patched_lines) m(o, n))",
        unnest(&ORDER_TYPES, 1),
        unnest(&VENDOR_TYPES, vendors),
        unnest(&LINE_TYPES, lines),
        vendors + 1,
        lines + 1,
    )
});

/// Applies every patch of the batch (orders placed before it), in one
/// statement; a patch whose row is missing poisons the batch.
pub(super) async fn patch(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    if fold.orders.is_empty() && fold.vendors.is_empty() && fold.lines.is_empty() {
        return Ok(());
    }
    let orders = || fold.orders.values();
    let vendors = || fold.vendors.values();
    let lines = || fold.lines.values();
    let units = |f: fn(&LinePatch) -> Option<u32>| -> Vec<Option<i64>> {
        lines().map(|p| f(p).map(i64::from)).collect()
    };
    let (orders_missing, vendors_missing, lines_missing): (Vec<String>, Vec<String>, Vec<String>) =
        sqlx::query_as(PATCH.as_str())
            .bind(fold.orders.keys().map(String::as_str).collect::<Vec<_>>())
            .bind(orders().map(|p| p.status).collect::<Vec<_>>())
            .bind(orders().map(|p| p.last_sequence).collect::<Vec<_>>())
            .bind(orders().map(|p| p.updated_at).collect::<Vec<_>>())
            .bind(orders().map(|p| p.paid_at).collect::<Vec<_>>())
            .bind(
                orders()
                    .map(|p| p.payment_id.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(orders().map(|p| p.payment_due_at).collect::<Vec<_>>())
            .bind(orders().map(|p| p.cancelled_at).collect::<Vec<_>>())
            .bind(
                orders()
                    .map(|p| p.cancel_reason.as_deref())
                    .collect::<Vec<_>>(),
            )
            .bind(
                fold.vendors
                    .keys()
                    .map(|k| k.0.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(
                fold.vendors
                    .keys()
                    .map(|k| k.1.as_str())
                    .collect::<Vec<_>>(),
            )
            .bind(vendors().map(|p| p.status).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.updated_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.subtotal).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.refunded).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.tracking.as_deref()).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.packed_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.shipped_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.delivered_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.confirmed_by).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.auto_confirm_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.completed_at).collect::<Vec<_>>())
            .bind(vendors().map(|p| p.cancelled_at).collect::<Vec<_>>())
            .bind(fold.lines.keys().map(|k| k.0.as_str()).collect::<Vec<_>>())
            .bind(
                fold.lines
                    .keys()
                    .map(|k| i64::from(k.1))
                    .collect::<Vec<_>>(),
            )
            .bind(units(|p| p.shipped))
            .bind(units(|p| p.requested))
            .bind(units(|p| p.returned))
            .bind(lines().map(|p| p.damaged).collect::<Vec<_>>())
            .bind(lines().map(|p| p.refunded).collect::<Vec<_>>())
            .fetch_one(conn)
            .await?;
    missing("orders", orders_missing)?;
    missing("vendor orders (order, vendor)", vendors_missing)?;
    missing("order lines (order, line)", lines_missing)
}

/// Names the patches of `kind` that found no row.
fn missing(kind: &str, absent: Vec<String>) -> Result<(), ApplyError> {
    if absent.is_empty() {
        return Ok(());
    }
    Err(ApplyError::poison(format!(
        "{kind} not in the order: {absent:?}"
    )))
}
