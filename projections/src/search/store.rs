//! The `search` projection: the search documents in Postgres, one
//! generation per build like every read model.
//!
//! Each event loads its document, folds the event in ([`super::order_fold`],
//! [`super::stock_fold`]) and writes it back with the event's sequence as
//! its `version`; an event at or below the stored version is a replay and
//! changes nothing. The rows serve the Postgres fallback of the search API
//! and are what the Elasticsearch indexer ships (see `docs/adr/0006-search.md`).

use bazaar_domain::inventory::InventoryReservationEvent;
use bazaar_domain::order::OrderEvent;
use bazaar_event_store::RecordedEvent;
use sqlx::types::Json;
use sqlx::PgConnection;

use super::document::{OrderDoc, StockDoc};
use super::{order_fold, stock_fold};
use crate::projection::{ApplyError, Projection};

/// The persisted aggregate types whose events become documents.
pub const ORDER_TYPE: &str = "Order";
/// See [`ORDER_TYPE`].
pub const STOCK_TYPE: &str = "InventoryReservation";

/// The search documents projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchDocs;

impl Projection for SearchDocs {
    const NAME: &'static str = "search";
    const CODE_VERSION: i32 = 1;

    fn tables(&self) -> &'static str {
        include_str!("tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["search_orders", "search_order_vendors", "search_stock"]
    }

    async fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> Result<(), ApplyError> {
        match event.aggregate_type.as_str() {
            ORDER_TYPE => apply_order(conn, event).await,
            STOCK_TYPE => apply_stock(conn, event).await,
            _ => Ok(()),
        }
    }
}

fn payload<T: serde::de::DeserializeOwned>(event: &RecordedEvent) -> Result<T, ApplyError> {
    serde_json::from_value(event.payload.clone())
        .map_err(|e| ApplyError::poison(format!("unreadable {} payload: {e}", event.event_type)))
}

async fn apply_order(conn: &mut PgConnection, event: &RecordedEvent) -> Result<(), ApplyError> {
    let payload: OrderEvent = payload(event)?;
    let stored: Option<(i64, Json<OrderDoc>)> =
        sqlx::query_as("select version, doc from search_orders where order_id = $1")
            .bind(&event.aggregate_id)
            .fetch_optional(&mut *conn)
            .await?;
    let doc = match stored {
        None => order_fold::placed(&event.aggregate_id, &payload, event.recorded_at),
        Some((version, _)) if version >= event.sequence => return Ok(()),
        Some((_, Json(mut doc))) => doc.apply(&payload, event.recorded_at).map(|()| doc),
    }
    .map_err(ApplyError::poison)?;
    write_order(conn, &doc, event.sequence).await
}

/// Writes one order document and its vendor rows at `version` (the
/// projection's own write; public for benchmarks that seed documents).
pub async fn write_order(
    conn: &mut PgConnection,
    doc: &OrderDoc,
    version: i64,
) -> Result<(), ApplyError> {
    sqlx::query(
        "insert into search_orders (order_id, buyer_id, status, currency, total, placed_at, version, doc) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (order_id) do update set status = excluded.status, total = excluded.total, \
                version = excluded.version, doc = excluded.doc",
    )
    .bind(&doc.order_id)
    .bind(&doc.buyer_id)
    .bind(&doc.status)
    .bind(&doc.currency)
    .bind(doc.total)
    .bind(doc.placed_at)
    .bind(version)
    .bind(Json(doc))
    .execute(&mut *conn)
    .await?;
    let parts = &doc.vendors;
    sqlx::query(
        "insert into search_order_vendors (order_id, vendor_id, status, currency, subtotal, refunded, placed_at, text) \
         select $1, v.vendor_id, v.status, $2, v.subtotal, v.refunded, $3, to_tsvector('simple'::regconfig, v.text) \
           from unnest($4::text[], $5::text[], $6::int8[], $7::int8[], $8::text[]) \
                as v(vendor_id, status, subtotal, refunded, text) \
         on conflict (order_id, vendor_id) do update set status = excluded.status, \
                subtotal = excluded.subtotal, refunded = excluded.refunded, text = excluded.text",
    )
    .bind(&doc.order_id)
    .bind(&doc.currency)
    .bind(doc.placed_at)
    .bind(parts.iter().map(|v| v.vendor_id.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|v| v.status.as_str()).collect::<Vec<_>>())
    .bind(parts.iter().map(|v| v.subtotal).collect::<Vec<_>>())
    .bind(parts.iter().map(|v| v.refunded).collect::<Vec<_>>())
    .bind(parts.iter().map(|v| v.text.as_str()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn apply_stock(conn: &mut PgConnection, event: &RecordedEvent) -> Result<(), ApplyError> {
    let payload: InventoryReservationEvent = payload(event)?;
    let stored: Option<(i64, Json<StockDoc>)> =
        sqlx::query_as("select version, doc from search_stock where stock_id = $1")
            .bind(&event.aggregate_id)
            .fetch_optional(&mut *conn)
            .await?;
    let mut doc = match stored {
        Some((version, _)) if version >= event.sequence => return Ok(()),
        Some((_, Json(doc))) => doc,
        None => stock_fold::new_stock(&event.aggregate_id, &payload, event.recorded_at),
    };
    doc.apply(&payload, event.recorded_at);
    let available = i64::try_from(doc.available).map_err(ApplyError::poison)?;
    sqlx::query(
        "insert into search_stock (stock_id, sku, warehouse_id, vendor_id, available, next_expiry, version, doc) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (stock_id) do update set vendor_id = excluded.vendor_id, available = excluded.available, \
                next_expiry = excluded.next_expiry, version = excluded.version, doc = excluded.doc",
    )
    .bind(&doc.stock_id)
    .bind(&doc.sku)
    .bind(&doc.warehouse_id)
    .bind(&doc.vendor_id)
    .bind(available)
    .bind(doc.next_expiry)
    .bind(event.sequence)
    .bind(Json(&doc))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
