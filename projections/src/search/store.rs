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
use sqlx::PgConnection;

use super::aggregates;
use super::document::OrderDoc;
use crate::projection::{apply_one, ApplyError, BatchError, Projection};

/// The channel every batch notifies in its transaction (so the signal is
/// sent only once it committed): what wakes the Elasticsearch indexer,
/// which ships the documents a batch wrote (`es::wake`).
pub const DOCS_CHANNEL: &str = "bazaar_search_docs";

/// The search documents projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchDocs;

impl Projection for SearchDocs {
    const NAME: &'static str = "search";
    const CODE_VERSION: i32 = 2;

    fn tables(&self) -> &'static str {
        include_str!("tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &[
            "search_orders",
            "search_order_vendors",
            "search_stock",
            "search_facet_status",
            "search_facet_sales",
        ]
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

/// A document as JSON text, for a `::jsonb` parameter.
pub(super) fn json(doc: &impl serde::Serialize) -> Result<String, ApplyError> {
    serde_json::to_string(doc).map_err(ApplyError::poison)
}
