//! The statements that write a [`Fold`]: the placements in one insert
//! ([`insert`](super::insert)), the patches in one update
//! ([`patch`](super::patch)), both over `unnest`ed column arrays, and the
//! refunded totals when a refund changed; so a batch of thousands of
//! events costs a few round trips.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::fold::Fold;
use super::{insert, patch};
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
        insert::insert_placed(conn, &fold.placed).await?;
    }
    patch::patch(conn, fold).await?;
    refunded_totals(conn, fold).await
}

/// `unnest($first::types[0][], $first+1::types[1][], …)`: rows from one
/// array parameter per column.
pub(super) fn unnest(types: &[&str], first: usize) -> String {
    let arrays: Vec<String> = types
        .iter()
        .zip(first..)
        .map(|(t, n)| format!("${n}::{t}[]"))
        .collect();
    format!("unnest({})", arrays.join(", "))
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
