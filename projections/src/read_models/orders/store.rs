//! The statements that write a [`Fold`]: one per table and kind of
//! change, each over `unnest`ed arrays, so a batch of thousands of events
//! costs about eight round trips.
//!
//! A patch that finds no row (a vendor or line the order does not have)
//! fails the batch as a whole; the runtime then applies its events one at a
//! time and names the event that cannot be applied.

use std::collections::{BTreeMap, HashMap};

use bazaar_domain::order::event::{PlacedLine, PlacedVendorOrder};
use bazaar_domain::order::OrderEvent;
use sqlx::{PgConnection, Row};

use super::fold::{Fold, LinePatch, Placed, VendorPatch};
use crate::projection::ApplyError;
use crate::read_models::table::by_key;

/// The applied sequences of the orders already in the table. No row
/// locks: the runtime runs one batch of a generation at a time, and a row
/// lock would take a transaction id before the batch writes anything.
pub(super) async fn applied(
    conn: &mut PgConnection,
    order_ids: &[&str],
) -> sqlx::Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as(&by_key("order_id, last_sequence", "orders", "order_id"))
            .bind(order_ids)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Writes everything the batch folded.
pub(super) async fn write(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    if !fold.placed.is_empty() {
        insert_orders(conn, &fold.placed).await?;
        insert_vendor_orders(conn, &fold.placed).await?;
        insert_lines(conn, &fold.placed).await?;
    }
    patch_orders(conn, fold).await?;
    patch_vendor_orders(conn, fold).await?;
    patch_lines(conn, fold).await?;
    refunded_totals(conn, fold).await
}

/// Names the patches that found no row: `found` is what the update
/// returned, `wanted` the patches' keys.
fn missing<K: Ord + std::fmt::Debug>(
    kind: &str,
    found: Vec<K>,
    wanted: impl Iterator<Item = K>,
) -> Result<(), ApplyError> {
    let found: std::collections::BTreeSet<K> = found.into_iter().collect();
    let absent: Vec<K> = wanted.filter(|key| !found.contains(key)).collect();
    if absent.is_empty() {
        return Ok(());
    }
    Err(ApplyError::poison(format!(
        "{kind} not in the order: {absent:?}"
    )))
}

type Time = chrono::DateTime<chrono::Utc>;

async fn insert_orders(
    conn: &mut PgConnection,
    placed: &BTreeMap<String, Placed>,
) -> Result<(), ApplyError> {
    let mut c = OrderColumns::default();
    for (order_id, order) in placed {
        c.push(order_id, order)?;
    }
    sqlx::query(
        "insert into orders (order_id, buyer_id, currency, total, status, fee_rate_bps, placed_at, \
                             payment_due_at, vendor_count, last_sequence, updated_at, paid_at, payment_id, \
                             cancelled_at, cancel_reason, refunded_total) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::int4[], \
                              $7::timestamptz[], $8::timestamptz[], $9::int4[], $10::int8[], \
                              $11::timestamptz[], $12::timestamptz[], $13::text[], $14::timestamptz[], \
                              $15::text[], $16::int8[])",
    )
    .bind(c.order_id)
    .bind(c.buyer_id)
    .bind(c.currency)
    .bind(c.total)
    .bind(c.status)
    .bind(c.fee_rate_bps)
    .bind(c.placed_at)
    .bind(c.payment_due_at)
    .bind(c.vendor_count)
    .bind(c.last_sequence)
    .bind(c.updated_at)
    .bind(c.paid_at)
    .bind(c.payment_id)
    .bind(c.cancelled_at)
    .bind(c.cancel_reason)
    .bind(c.refunded_total)
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

async fn insert_vendor_orders(
    conn: &mut PgConnection,
    placed: &BTreeMap<String, Placed>,
) -> Result<(), ApplyError> {
    let mut c = VendorColumns::default();
    for (order_id, order) in placed {
        for vendor_order in order.vendor_orders() {
            c.push(order_id, order, vendor_order);
        }
    }
    sqlx::query(
        "insert into vendor_orders (order_id, vendor_id, buyer_id, status, subtotal, currency, \
                                    placed_at, updated_at, refunded, tracking, packed_at, shipped_at, \
                                    delivered_at, delivery_confirmed_by, auto_confirm_at, completed_at, \
                                    cancelled_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], \
                              $7::timestamptz[], $8::timestamptz[], $9::int8[], $10::text[], \
                              $11::timestamptz[], $12::timestamptz[], $13::timestamptz[], $14::text[], \
                              $15::timestamptz[], $16::timestamptz[], $17::timestamptz[])",
    )
    .bind(c.order_id)
    .bind(c.vendor_id)
    .bind(c.buyer_id)
    .bind(c.status)
    .bind(c.subtotal)
    .bind(c.currency)
    .bind(c.placed_at)
    .bind(c.updated_at)
    .bind(c.refunded)
    .bind(c.tracking)
    .bind(c.packed_at)
    .bind(c.shipped_at)
    .bind(c.delivered_at)
    .bind(c.confirmed_by)
    .bind(c.auto_confirm_at)
    .bind(c.completed_at)
    .bind(c.cancelled_at)
    .execute(conn)
    .await?;
    Ok(())
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

async fn insert_lines(
    conn: &mut PgConnection,
    placed: &BTreeMap<String, Placed>,
) -> Result<(), ApplyError> {
    let c = LineColumns::of(placed)?;
    sqlx::query(
        "insert into order_lines (order_id, line_no, vendor_id, product_id, sku, warehouse_id, title, \
                                  quantity, unit_price, line_total, currency, shipped_quantity, \
                                  return_requested_quantity, returned_quantity, damaged_quantity, \
                                  refunded_amount) \
         select * from unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], \
                              $7::text[], $8::int4[], $9::int8[], $10::int8[], $11::text[], $12::int8[], \
                              $13::int8[], $14::int8[], $15::int8[], $16::int8[])",
    )
    .bind(c.order_id)
    .bind(c.line_no)
    .bind(c.vendor)
    .bind(c.product)
    .bind(c.sku)
    .bind(c.warehouse)
    .bind(c.title)
    .bind(c.quantity)
    .bind(c.unit_price)
    .bind(c.line_total)
    .bind(c.currency)
    .bind(c.shipped)
    .bind(c.requested)
    .bind(c.returned)
    .bind(c.damaged)
    .bind(c.refunded)
    .execute(conn)
    .await?;
    Ok(())
}

async fn patch_orders(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    if fold.orders.is_empty() {
        return Ok(());
    }
    let patches = || fold.orders.values();
    let ids: Vec<&str> = fold.orders.keys().map(String::as_str).collect();
    let updated = sqlx::query(
        "update orders o set status = p.status, last_sequence = p.last_sequence, updated_at = p.updated_at, \
                paid_at = coalesce(p.paid_at, o.paid_at), payment_id = coalesce(p.payment_id, o.payment_id), \
                payment_due_at = coalesce(p.payment_due_at, o.payment_due_at), \
                cancelled_at = coalesce(p.cancelled_at, o.cancelled_at), \
                cancel_reason = coalesce(p.cancel_reason, o.cancel_reason) \
           from unnest($1::text[], $2::text[], $3::int8[], $4::timestamptz[], $5::timestamptz[], \
                       $6::text[], $7::timestamptz[], $8::timestamptz[], $9::text[]) \
                as p(order_id, status, last_sequence, updated_at, paid_at, payment_id, payment_due_at, \
                     cancelled_at, cancel_reason) \
          where o.order_id = p.order_id \
         returning o.order_id",
    )
    .bind(ids)
    .bind(patches().map(|p| p.status).collect::<Vec<_>>())
    .bind(patches().map(|p| p.last_sequence).collect::<Vec<_>>())
    .bind(patches().map(|p| p.updated_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.paid_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.payment_id.as_deref()).collect::<Vec<_>>())
    .bind(patches().map(|p| p.payment_due_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.cancelled_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.cancel_reason.as_deref()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let found = updated.iter().map(|row| row.get::<String, _>(0)).collect();
    missing("orders", found, fold.orders.keys().cloned())
}

async fn patch_vendor_orders(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    if fold.vendors.is_empty() {
        return Ok(());
    }
    let patches = || fold.vendors.values();
    let updated = sqlx::query(
        "update vendor_orders v set status = p.status, updated_at = p.updated_at, \
                subtotal = coalesce(p.subtotal, v.subtotal), refunded = coalesce(p.refunded, v.refunded), \
                tracking = coalesce(p.tracking, v.tracking), packed_at = coalesce(p.packed_at, v.packed_at), \
                shipped_at = coalesce(p.shipped_at, v.shipped_at), \
                delivered_at = coalesce(p.delivered_at, v.delivered_at), \
                delivery_confirmed_by = coalesce(p.confirmed_by, v.delivery_confirmed_by), \
                auto_confirm_at = coalesce(p.auto_confirm_at, v.auto_confirm_at), \
                completed_at = coalesce(p.completed_at, v.completed_at), \
                cancelled_at = coalesce(p.cancelled_at, v.cancelled_at) \
           from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int8[], $6::int8[], \
                       $7::text[], $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::text[], \
                       $12::timestamptz[], $13::timestamptz[], $14::timestamptz[]) \
                as p(order_id, vendor_id, status, updated_at, subtotal, refunded, tracking, packed_at, \
                     shipped_at, delivered_at, confirmed_by, auto_confirm_at, completed_at, cancelled_at) \
          where v.order_id = p.order_id and v.vendor_id = p.vendor_id \
         returning v.order_id, v.vendor_id",
    )
    .bind(fold.vendors.keys().map(|k| k.0.as_str()).collect::<Vec<_>>())
    .bind(fold.vendors.keys().map(|k| k.1.as_str()).collect::<Vec<_>>())
    .bind(patches().map(|p| p.status).collect::<Vec<_>>())
    .bind(patches().map(|p| p.updated_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.subtotal).collect::<Vec<_>>())
    .bind(patches().map(|p| p.refunded).collect::<Vec<_>>())
    .bind(patches().map(|p| p.tracking.as_deref()).collect::<Vec<_>>())
    .bind(patches().map(|p| p.packed_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.shipped_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.delivered_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.confirmed_by).collect::<Vec<_>>())
    .bind(patches().map(|p| p.auto_confirm_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.completed_at).collect::<Vec<_>>())
    .bind(patches().map(|p| p.cancelled_at).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let found = updated
        .iter()
        .map(|row| (row.get::<String, _>(0), row.get::<String, _>(1)))
        .collect();
    missing(
        "vendor orders (order, vendor)",
        found,
        fold.vendors.keys().cloned(),
    )
}

async fn patch_lines(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    if fold.lines.is_empty() {
        return Ok(());
    }
    let patches = || fold.lines.values();
    let units = |f: fn(&LinePatch) -> Option<u32>| -> Vec<Option<i64>> {
        patches().map(|p| f(p).map(i64::from)).collect()
    };
    let updated = sqlx::query(
        "update order_lines l set \
                shipped_quantity = coalesce(p.shipped, l.shipped_quantity), \
                return_requested_quantity = coalesce(p.requested, l.return_requested_quantity), \
                returned_quantity = coalesce(p.returned, l.returned_quantity), \
                damaged_quantity = l.damaged_quantity + p.damaged, \
                refunded_amount = coalesce(p.refunded, l.refunded_amount) \
           from unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[]) \
                as p(order_id, line_no, shipped, requested, returned, damaged, refunded) \
          where l.order_id = p.order_id and l.line_no = p.line_no \
         returning l.order_id, l.line_no",
    )
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
    .bind(patches().map(|p| p.damaged).collect::<Vec<_>>())
    .bind(patches().map(|p| p.refunded).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    let found = updated
        .iter()
        .map(|row| (row.get::<String, _>(0), row.get::<i32, _>(1).unsigned_abs()))
        .collect();
    missing(
        "order lines (order, line)",
        found,
        fold.lines.keys().cloned(),
    )
}

/// `orders.refunded_total`: the sum of its vendor orders' `refunded`, for
/// every order whose refunds changed.
async fn refunded_totals(conn: &mut PgConnection, fold: &Fold) -> Result<(), ApplyError> {
    let ids: Vec<&str> = fold
        .orders
        .iter()
        .filter(|(_, patch)| patch.refunds)
        .map(|(id, _)| id.as_str())
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update orders o set refunded_total = \
                (select coalesce(sum(v.refunded), 0) from vendor_orders v where v.order_id = o.order_id) \
          where o.order_id = any($1)",
    )
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}
