//! `OrderPlaced`: the order's row, one row per vendor order and per line.

use bazaar_domain::order::event::PlacedVendorOrder;
use bazaar_domain::order::OrderEvent;
use sqlx::PgConnection;

use super::Stamp;
use crate::projection::ApplyError;

/// Inserts everything `OrderPlaced` says; any other event of an order
/// that has no row yet poisons.
pub(super) async fn insert(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    event: &OrderEvent,
) -> Result<(), ApplyError> {
    let OrderEvent::OrderPlaced {
        buyer,
        currency,
        fee_rate,
        placed_at,
        payment_due_at,
        total,
        vendor_orders,
        order_status,
    } = event
    else {
        return Err(ApplyError::poison(format!(
            "order {} has an event before it was placed",
            stamp.order_id
        )));
    };
    sqlx::query(
        "insert into orders (order_id, buyer_id, currency, total, status, fee_rate_bps, placed_at, \
                             payment_due_at, vendor_count, last_sequence, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(stamp.order_id)
    .bind(buyer.as_ref())
    .bind(currency.to_string())
    .bind(total.amount())
    .bind(order_status.as_str())
    .bind(i64::from(fee_rate.bps()))
    .bind(*placed_at)
    .bind(*payment_due_at)
    .bind(i64::try_from(vendor_orders.len()).map_err(ApplyError::poison)?)
    .bind(stamp.sequence)
    .bind(stamp.recorded_at)
    .execute(&mut *conn)
    .await?;
    insert_vendor_orders(conn, stamp, buyer.as_ref(), vendor_orders).await?;
    insert_lines(conn, stamp, vendor_orders).await
}

async fn insert_vendor_orders(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    buyer: &str,
    vendor_orders: &[PlacedVendorOrder],
) -> Result<(), ApplyError> {
    let vendors: Vec<&str> = vendor_orders.iter().map(|v| v.vendor.as_ref()).collect();
    let subtotals: Vec<i64> = vendor_orders.iter().map(|v| v.subtotal.amount()).collect();
    let currencies: Vec<String> = vendor_orders
        .iter()
        .map(|v| v.subtotal.currency().to_string())
        .collect();
    let statuses: Vec<&str> = vendor_orders.iter().map(|v| v.status.as_str()).collect();
    sqlx::query(
        "insert into vendor_orders (order_id, vendor_id, buyer_id, status, subtotal, currency, \
                                    placed_at, updated_at) \
         select o.order_id, v.vendor_id, $2, v.status, v.subtotal, v.currency, o.placed_at, $7 \
           from orders o, unnest($3::text[], $4::text[], $5::int8[], $6::text[]) \
                as v(vendor_id, status, subtotal, currency) \
          where o.order_id = $1",
    )
    .bind(stamp.order_id)
    .bind(buyer)
    .bind(vendors)
    .bind(statuses)
    .bind(subtotals)
    .bind(currencies)
    .bind(stamp.recorded_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The placed lines as columns, for one `unnest` insert.
#[derive(Default)]
struct LineColumns<'e> {
    line_no: Vec<i64>,
    vendor: Vec<&'e str>,
    product: Vec<&'e str>,
    sku: Vec<&'e str>,
    warehouse: Vec<&'e str>,
    title: Vec<&'e str>,
    quantity: Vec<i64>,
    unit_price: Vec<i64>,
    line_total: Vec<i64>,
    currency: Vec<String>,
}

impl<'e> LineColumns<'e> {
    fn of(vendor_orders: &'e [PlacedVendorOrder]) -> Self {
        let mut columns = Self::default();
        for vendor_order in vendor_orders {
            for line in &vendor_order.lines {
                columns.line_no.push(i64::from(line.line_no));
                columns.vendor.push(vendor_order.vendor.as_ref());
                columns.product.push(line.product.as_ref());
                columns.sku.push(line.sku.as_ref());
                columns.warehouse.push(line.warehouse.as_ref());
                columns.title.push(&line.title);
                columns.quantity.push(i64::from(line.quantity));
                columns.unit_price.push(line.unit_price.amount());
                columns.line_total.push(line.line_total.amount());
                columns
                    .currency
                    .push(line.line_total.currency().to_string());
            }
        }
        columns
    }
}

async fn insert_lines(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    vendor_orders: &[PlacedVendorOrder],
) -> Result<(), ApplyError> {
    let c = LineColumns::of(vendor_orders);
    sqlx::query(
        "insert into order_lines (order_id, line_no, vendor_id, product_id, sku, warehouse_id, title, \
                                  quantity, unit_price, line_total, currency) \
         select $1, l.* from unnest($2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], \
                                    $7::text[], $8::int8[], $9::int8[], $10::int8[], $11::text[]) as l",
    )
    .bind(stamp.order_id)
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
    .execute(&mut *conn)
    .await?;
    Ok(())
}
