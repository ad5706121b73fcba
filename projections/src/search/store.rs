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

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use crate::search::document::{ORDER_TYPE, STOCK_TYPE};

/// The channel every batch notifies in its transaction (so the signal is
/// sent only once it committed): what wakes the Elasticsearch indexer,
/// which ships the documents a batch wrote (`es::wake`).
pub const DOCS_CHANNEL: &str = "bazaar_search_docs";

/// The search documents projection.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchDocs;

impl Projection for SearchDocs {
    const NAME: &'static str = "search";
    /// 3: stock documents list only the batches that hold units.
    const CODE_VERSION: i32 = 3;
    const AGGREGATE_TYPES: &'static [&'static str] = &[ORDER_TYPE, STOCK_TYPE];

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
