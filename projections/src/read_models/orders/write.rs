//! The statements that apply [`changes`](super::changes) and
//! [`line_changes`](super::line_changes) to the tables.

use bazaar_domain::order::{DeliveryConfirmation, OrderStatus};
use sqlx::PgConnection;

use super::changes::{OrderChange, VendorChange};
use super::line_changes::LineChange;
use super::Stamp;
use crate::projection::ApplyError;

/// The order's applied sequence, locking its row until the batch commits;
/// `None` before `OrderPlaced`.
pub(super) async fn last_sequence(
    conn: &mut PgConnection,
    order_id: &str,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar("select last_sequence from orders where order_id = $1 for update")
        .bind(order_id)
        .fetch_optional(conn)
        .await
}

/// Sets the status every event carries, the guard and `change`.
pub(super) async fn order(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    status: OrderStatus,
    change: &OrderChange<'_>,
) -> Result<(), ApplyError> {
    sqlx::query(
        "update orders set status = $2, last_sequence = $3, updated_at = $4, \
                paid_at = coalesce($5, paid_at), payment_id = coalesce($6, payment_id), \
                payment_due_at = coalesce($7, payment_due_at), \
                cancelled_at = coalesce($8, cancelled_at), cancel_reason = coalesce($9, cancel_reason) \
          where order_id = $1",
    )
    .bind(stamp.order_id)
    .bind(status.as_str())
    .bind(stamp.sequence)
    .bind(stamp.recorded_at)
    .bind(change.paid_at)
    .bind(change.payment_id)
    .bind(change.payment_due_at)
    .bind(change.cancelled_at)
    .bind(change.cancel_reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies one vendor order's change; a vendor not in the order poisons.
pub(super) async fn vendor_order(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    change: &VendorChange<'_>,
) -> Result<(), ApplyError> {
    let updated = sqlx::query(
        "update vendor_orders set status = $3, updated_at = $4, \
                subtotal = coalesce($5, subtotal), refunded = coalesce($6, refunded), \
                tracking = coalesce($7, tracking), packed_at = coalesce($8, packed_at), \
                shipped_at = coalesce($9, shipped_at), delivered_at = coalesce($10, delivered_at), \
                delivery_confirmed_by = coalesce($11, delivery_confirmed_by), \
                auto_confirm_at = coalesce($12, auto_confirm_at), \
                completed_at = coalesce($13, completed_at), cancelled_at = coalesce($14, cancelled_at) \
          where order_id = $1 and vendor_id = $2",
    )
    .bind(stamp.order_id)
    .bind(change.vendor)
    .bind(change.status.as_str())
    .bind(stamp.recorded_at)
    .bind(change.subtotal)
    .bind(change.refunded)
    .bind(change.tracking)
    .bind(change.packed_at)
    .bind(change.shipped_at)
    .bind(change.delivered_at)
    .bind(change.confirmed_by.map(confirmation))
    .bind(change.auto_confirm_at)
    .bind(change.completed_at)
    .bind(change.cancelled_at)
    .execute(conn)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(ApplyError::poison(format!(
            "vendor {} has no part in order {}",
            change.vendor, stamp.order_id
        )));
    }
    Ok(())
}

/// The persisted name of who confirmed a delivery, as in JSON.
fn confirmation(by: DeliveryConfirmation) -> &'static str {
    match by {
        DeliveryConfirmation::Buyer => "BUYER",
        DeliveryConfirmation::Automatic => "AUTOMATIC",
    }
}

/// Applies the lines' changes in one statement; a line not in the order
/// poisons.
pub(super) async fn lines(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
    changes: &[LineChange],
) -> Result<(), ApplyError> {
    if changes.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&LineChange) -> Option<u32>| -> Vec<Option<i64>> {
        changes.iter().map(|c| f(c).map(i64::from)).collect()
    };
    let updated = sqlx::query(
        "update order_lines l set \
                shipped_quantity = coalesce(c.shipped, l.shipped_quantity), \
                return_requested_quantity = coalesce(c.requested, l.return_requested_quantity), \
                returned_quantity = coalesce(c.returned, l.returned_quantity), \
                damaged_quantity = l.damaged_quantity + coalesce(c.damaged, 0), \
                refunded_amount = coalesce(c.refunded, l.refunded_amount) \
           from unnest($2::int8[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::int8[]) \
                as c(line_no, shipped, requested, returned, damaged, refunded) \
          where l.order_id = $1 and l.line_no = c.line_no",
    )
    .bind(stamp.order_id)
    .bind(
        changes
            .iter()
            .map(|c| i64::from(c.line_no))
            .collect::<Vec<i64>>(),
    )
    .bind(column(|c| c.shipped))
    .bind(column(|c| c.requested))
    .bind(column(|c| c.returned))
    .bind(column(|c| c.damaged))
    .bind(
        changes
            .iter()
            .map(|c| c.refunded)
            .collect::<Vec<Option<i64>>>(),
    )
    .execute(conn)
    .await?
    .rows_affected();
    if updated != changes.len() as u64 {
        return Err(ApplyError::poison(format!(
            "{} of {} lines found in order {}",
            updated,
            changes.len(),
            stamp.order_id
        )));
    }
    Ok(())
}

/// `orders.refunded_total`: the sum of its vendor orders' `refunded`.
pub(super) async fn refunded_total(
    conn: &mut PgConnection,
    stamp: Stamp<'_>,
) -> Result<(), ApplyError> {
    sqlx::query(
        "update orders o set refunded_total = \
                (select coalesce(sum(v.refunded), 0) from vendor_orders v where v.order_id = o.order_id) \
          where o.order_id = $1",
    )
    .bind(stamp.order_id)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmations_are_stored_under_their_persisted_names() {
        for by in [DeliveryConfirmation::Buyer, DeliveryConfirmation::Automatic] {
            assert_eq!(serde_json::to_value(by).unwrap(), confirmation(by));
        }
    }
}
