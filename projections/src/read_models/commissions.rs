//! The `commissions` read model: what every agent earns on the escrow
//! sales it brokered — per escrow (agreed, earned, paid, pending,
//! forfeited) and as dated entries for figures per month.
//!
//! Built from the `Escrow` streams of escrows that name an agent (others
//! are skipped). Every money event of such an escrow carries the escrow's
//! charges after it (`EscrowBalance::charges`: agreed, paid, forfeited,
//! pending) and a release carries its settlement (commission, platform fee,
//! seller proceeds); they are assigned or added here, never recomputed.
//!
//! # Tables (exposed as `read.<table>`)
//! - `agent_escrows`: one row per brokered escrow. `earned` is the
//!   commission on funded money not refunded (zero before funding), `paid`
//!   what releases paid, `pending` what is still to be paid (`earned =
//!   paid + pending`), `forfeited` what refunds gave up; `released`,
//!   `seller_proceeds` and `platform_fee` sum the releases
//!   (`released = paid + seller_proceeds + platform_fee`). Both identities
//!   are table constraints.
//! - `agent_commission_entries`: one row per event that moved commission:
//!   `earned` at funding, `paid` with a release, `forfeited` with a
//!   refund; `at` is the event's business time, for figures per month.
//!
//! # Replays
//! `agent_escrows.last_sequence` is the stream sequence of the last
//! applied event; an event at or below it is skipped as a whole (its entry
//! was written with it). `updated_at` is the event's `recorded_at`, so a
//! rebuild yields identical rows.
//!
//! # Batches
//! The rows of a batch's escrows are loaded with one statement, its events
//! folded into them in order, and the changed rows and new entries written
//! with one `unnest` statement per table.
//!
//! # Layout
//! - `fold`: a batch's events folded into its rows and entries.
//! - `rows`: the rows as data; loading them and writing the changed ones.
//! - [`queries`]: the statements that read the tables, for the API.

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

/// The agents' commissions read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Commissions;

impl Projection for Commissions {
    const NAME: &'static str = "commissions";
    const CODE_VERSION: i32 = 1;
    const AGGREGATE_TYPES: &'static [&'static str] = <rows::Rows as StreamRows>::AGGREGATE_TYPES;

    fn tables(&self) -> &'static str {
        include_str!("commissions/tables.sql")
    }

    fn exposed(&self) -> &'static [&'static str] {
        &["agent_escrows", "agent_commission_entries"]
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
