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
//! # Layout
//! - `changes`: what each event changes on which row.
//! - `rows`: the statements.

mod changes;
mod rows;

use bazaar_domain::escrow::EscrowEvent as E;
use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

use crate::projection::{ApplyError, Projection};

/// The persisted aggregate type of the events this model reads.
const AGGREGATE_TYPE: &str = "Escrow";

/// The escrows read model.
#[derive(Debug, Clone, Copy, Default)]
pub struct Escrows;

impl Projection for Escrows {
    const NAME: &'static str = "escrows";
    const CODE_VERSION: i32 = 1;

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
        if event.aggregate_type != AGGREGATE_TYPE {
            return Ok(());
        }
        let payload: E =
            serde_json::from_value(event.payload.clone()).map_err(ApplyError::poison)?;
        if let E::EscrowCreated { .. } = payload {
            return rows::create(conn, &payload, event).await;
        }
        if !rows::claim(conn, event).await? {
            return Ok(());
        }
        assign(conn, &payload, event).await
    }
}

/// Assigns what an event after creation says: the escrow's totals, then
/// the balances of the milestones it names.
async fn assign(
    conn: &mut PgConnection,
    payload: &E,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    if let Some((balance, change)) = changes::escrow(payload) {
        rows::escrow(conn, balance, change, event).await?;
    }
    for (balance, change) in changes::milestones(payload) {
        rows::milestone(conn, balance, change, event).await?;
    }
    Ok(())
}
