//! The `escrows` read model: where the money of every escrow is, and where
//! each of its milestones stands in delivery, inspection and dispute.
//!
//! Built from the `Escrow` streams. Every money event carries the escrow's
//! totals and the milestone's balance after it, with their statuses; they
//! are assigned here, never recomputed.
//!
//! # Tables (exposed as `read.<table>`)
//! - `escrows`: one row per escrow, for buyer and seller views, finance
//!   (money held, released, refunded) and the lifecycle's dates.
//! - `escrow_milestones`: one row per milestone, for delivery and dispute
//!   queues (`inspection_ends_at` of delivered milestones is when
//!   auto-release is due; `dispute_open` marks the frozen ones).
//!   `dispute_reason` is the reason of the latest dispute or rejection and
//!   is kept once it is resolved.
//!
//! # Replays
//! `escrows.last_sequence` is the stream sequence of the last applied
//! event; an event at or below it is skipped as a whole (milestone rows
//! only change with their escrow's row, in the same transaction).
//! `updated_at` is the event's `recorded_at`, not the clock, so a rebuild
//! yields identical rows.
//!
//! # Batches
//! A batch is applied set-based: the rows of its escrows are loaded with
//! one statement per table, its events folded into them in order, and the
//! changed rows written with one `unnest` statement per table. The rows are
//! those of applying one event at a time (a single event is a batch of one).
//!
//! # Layout
//! - `changes`: what each event changes on which row.
//! - `fold`: a batch's events folded into its rows, in order.
//! - `rows`: the rows as data; loading them and writing the changed ones.
//! - [`queries`]: the statements that read the tables, for the API.

mod changes;
mod fold;
pub mod queries;
mod rows;

use crate::projection::decode;
use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

use crate::projection::{apply_one, ApplyError, BatchError, Projection};
use crate::read_models::table::{fold_batch, StreamRows};

/// The persisted aggregate type of the events this model reads.
const AGGREGATE_TYPE: &str = "Escrow";

/// The escrows read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Escrows;

impl Projection for Escrows {
    const NAME: &'static str = "escrows";
    const CODE_VERSION: i32 = 1;
    const AGGREGATE_TYPES: &'static [&'static str] = <rows::Rows as StreamRows>::AGGREGATE_TYPES;

    fn tables(&self) -> &'static str {
        include_str!("escrows/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["escrows", "escrow_milestones"]
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
        fold_batch::<rows::Rows>(conn, events).await
    }
}

impl StreamRows for rows::Rows {
    const AGGREGATE_TYPES: &'static [&'static str] = &[AGGREGATE_TYPE];

    async fn load(conn: &mut PgConnection, ids: &[&str]) -> sqlx::Result<Self> {
        rows::load(conn, ids).await
    }

    fn fold(&mut self, event: &RecordedEvent) -> Result<(), ApplyError> {
        fold::apply(self, &decode(event)?, event)
    }

    async fn write(&self, conn: &mut PgConnection) -> sqlx::Result<()> {
        rows::write(conn, self).await
    }
}
