//! The `search` projection: the search documents in Postgres, one
//! generation per build like every read model.
//!
//! A batch loads the documents it touches, folds its events in
//! ([`super::order_fold`], [`super::stock_fold`]) and writes each changed
//! document back once, with its last event's sequence as its `version`
//! (`batch`); an event at or below the stored version is a replay and
//! changes nothing. The rows serve the Postgres fallback of the search API
//! and are what the Elasticsearch indexer ships (see `docs/adr/0005-search.md`);
//! every batch notifies [`DOCS_CHANNEL`] so the indexer ships them at once.

use bazaar_event_store::RecordedEvent;
use sqlx::types::Json;
use sqlx::PgConnection;

use super::document::OrderDoc;
use crate::projection::{apply_one, ApplyError, BatchError, Projection};

/// The persisted aggregate types whose events become documents.
pub const ORDER_TYPE: &str = "Order";
/// See [`ORDER_TYPE`].
pub const STOCK_TYPE: &str = "InventoryReservation";
/// The channel every batch notifies in its transaction (so the signal is
/// sent only once it committed): what wakes the Elasticsearch indexer,
/// which ships the documents a batch wrote (`es::wake`).
pub const DOCS_CHANNEL: &str = "bazaar_search_docs";

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
        apply_one(self, conn, event).await
    }

    async fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> Result<(), BatchError> {
        super::batch::apply(conn, events).await?;
        sqlx::query("select pg_notify($1, '')")
            .bind(DOCS_CHANNEL)
            .execute(&mut *conn)
            .await
            .map_err(BatchError::whole)?;
        Ok(())
    }
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
