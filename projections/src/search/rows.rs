//! The search documents written as rows, at their versions: one statement
//! per table and step, whatever the number of documents. Its own module so
//! that the projection ([`super::store`]) drives the batch fold
//! ([`super::batch`]), the fold calls these writes, and nothing calls back:
//! the benchmarks seed documents through [`write_orders`] too.

use sqlx::PgConnection;

use super::aggregates;
use super::document::{OrderDoc, StockDoc};
use crate::projection::ApplyError;

/// Writes order documents at their versions, with their vendor rows and
/// the facet counts kept over them (`super::aggregates`): one statement per
/// table and step, whatever the number of documents (the projection's own
/// write; public for benchmarks that seed documents).
pub async fn write_orders(
    conn: &mut PgConnection,
    changed: &[(&OrderDoc, i64)],
) -> Result<(), ApplyError> {
    if changed.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = changed.iter().map(|(d, _)| d.order_id.as_str()).collect();
    aggregates::retract(&mut *conn, &ids).await?;
    let texts = changed
        .iter()
        .map(|(d, _)| json(d))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "insert into search_orders (order_id, buyer_id, status, currency, total, placed_at, version, doc) \
         select o.order_id, o.buyer_id, o.status, o.currency, o.total, o.placed_at, o.version, o.doc::jsonb \
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::timestamptz[], \
                       $7::int8[], $8::text[]) \
                as o(order_id, buyer_id, status, currency, total, placed_at, version, doc) \
         on conflict (order_id) do update set status = excluded.status, total = excluded.total, \
                version = excluded.version, doc = excluded.doc",
    )
    .bind(changed.iter().map(|(d, _)| d.order_id.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.buyer_id.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.status.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.currency.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.total).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.placed_at).collect::<Vec<_>>())
    .bind(changed.iter().map(|(_, v)| *v).collect::<Vec<_>>())
    .bind(texts)
    .execute(&mut *conn)
    .await?;
    write_vendor_parts(&mut *conn, changed).await?;
    aggregates::count_in(conn, &ids).await?;
    Ok(())
}

async fn write_vendor_parts(
    conn: &mut PgConnection,
    changed: &[(&OrderDoc, i64)],
) -> Result<(), ApplyError> {
    let parts: Vec<_> = changed
        .iter()
        .flat_map(|(doc, _)| doc.vendors.iter().map(move |part| (*doc, part)))
        .collect();
    sqlx::query(
        "insert into search_order_vendors (order_id, vendor_id, status, currency, subtotal, refunded, placed_at, text) \
         select v.order_id, v.vendor_id, v.status, v.currency, v.subtotal, v.refunded, v.placed_at, \
                to_tsvector('simple'::regconfig, v.text) \
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::int8[], \
                       $7::timestamptz[], $8::text[]) \
                as v(order_id, vendor_id, status, currency, subtotal, refunded, placed_at, text) \
         on conflict (order_id, vendor_id) do update set status = excluded.status, \
                subtotal = excluded.subtotal, refunded = excluded.refunded, text = excluded.text",
    )
    .bind(parts.iter().map(|(d, _)| d.order_id.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|(_, v)| v.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|(_, v)| v.status.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|(d, _)| d.currency.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|(_, v)| v.subtotal).collect::<Vec<_>>())
    .bind(parts.iter().map(|(_, v)| v.refunded).collect::<Vec<_>>())
    .bind(parts.iter().map(|(d, _)| d.placed_at).collect::<Vec<_>>())
    .bind(parts.iter().map(|(_, v)| v.text.as_str()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes stock documents at their versions: one statement, whatever the
/// number of documents.
pub(super) async fn write_stock(
    conn: &mut PgConnection,
    changed: &[(&StockDoc, i64)],
) -> Result<(), ApplyError> {
    if changed.is_empty() {
        return Ok(());
    }
    let available = changed
        .iter()
        .map(|(d, _)| i64::try_from(d.available).map_err(ApplyError::poison))
        .collect::<Result<Vec<_>, _>>()?;
    let texts = changed
        .iter()
        .map(|(d, _)| json(d))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "insert into search_stock (stock_id, sku, warehouse_id, vendor_id, available, next_expiry, version, doc) \
         select s.stock_id, s.sku, s.warehouse_id, s.vendor_id, s.available, s.next_expiry, s.version, s.doc::jsonb \
           from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::date[], $7::int8[], \
                       $8::text[]) \
                as s(stock_id, sku, warehouse_id, vendor_id, available, next_expiry, version, doc) \
         on conflict (stock_id) do update set vendor_id = excluded.vendor_id, available = excluded.available, \
                next_expiry = excluded.next_expiry, version = excluded.version, doc = excluded.doc",
    )
    .bind(changed.iter().map(|(d, _)| d.stock_id.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.sku.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.warehouse_id.as_str()).collect::<Vec<_>>())
    .bind(changed.iter().map(|(d, _)| d.vendor_id.as_deref()).collect::<Vec<_>>())
    .bind(available)
    .bind(changed.iter().map(|(d, _)| d.next_expiry).collect::<Vec<_>>())
    .bind(changed.iter().map(|(_, v)| *v).collect::<Vec<_>>())
    .bind(texts)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A document as JSON text, for a `::jsonb` parameter.
fn json(doc: &impl serde::Serialize) -> Result<String, ApplyError> {
    serde_json::to_string(doc).map_err(ApplyError::poison)
}
