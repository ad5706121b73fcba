//! The rows of the escrows read model as plain data, loaded for the
//! escrows a batch touches and written back with one `unnest` statement
//! per table.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::read_models::table::{rows_of, Table};

type Time = DateTime<Utc>;

/// One `escrows` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct EscrowRow {
    pub(super) escrow_id: String,
    pub(super) buyer_party: String,
    pub(super) seller_party: String,
    pub(super) currency: String,
    pub(super) amount: i64,
    pub(super) status: String,
    pub(super) funded: i64,
    pub(super) released: i64,
    pub(super) refunded: i64,
    pub(super) held: i64,
    pub(super) inspection_period_days: i32,
    pub(super) dispute_window_hours: i32,
    pub(super) payment_id: Option<String>,
    pub(super) created_at: Time,
    pub(super) funded_at: Option<Time>,
    pub(super) closed_at: Option<Time>,
    pub(super) cancelled_at: Option<Time>,
    pub(super) cancel_reason: Option<String>,
    pub(super) last_sequence: i64,
    pub(super) updated_at: Time,
}

/// One `escrow_milestones` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct MilestoneRow {
    pub(super) escrow_id: String,
    pub(super) milestone_id: String,
    pub(super) description: String,
    pub(super) currency: String,
    pub(super) amount: i64,
    pub(super) status: String,
    pub(super) funded: i64,
    pub(super) released: i64,
    pub(super) refunded: i64,
    pub(super) remaining: i64,
    pub(super) delivered_at: Option<Time>,
    pub(super) inspection_ends_at: Option<Time>,
    pub(super) dispute_window_ends_at: Option<Time>,
    pub(super) dispute_open: bool,
    pub(super) dispute_reason: Option<String>,
    pub(super) updated_at: Time,
}

/// The rows of a batch's escrows.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub(super) escrows: Table<String, EscrowRow>,
    pub(super) milestones: Table<(String, String), MilestoneRow>,
}

/// Loads the rows of `escrow_ids` and of their milestones. No row locks:
/// one batch of a generation runs at a time, and a lock would take a
/// transaction id before the batch writes.
pub(super) async fn load(conn: &mut PgConnection, escrow_ids: &[&str]) -> sqlx::Result<Rows> {
    let escrows: Vec<EscrowRow> = rows_of(&mut *conn, "escrows", "escrow_id", escrow_ids).await?;
    let milestones: Vec<MilestoneRow> =
        rows_of(&mut *conn, "escrow_milestones", "escrow_id", escrow_ids).await?;
    Ok(Rows {
        escrows: Table::loaded(escrows.into_iter().map(|r| (r.escrow_id.clone(), r))),
        milestones: Table::loaded(
            milestones
                .into_iter()
                .map(|r| ((r.escrow_id.clone(), r.milestone_id.clone()), r)),
        ),
    })
}

/// Writes every changed row.
pub(super) async fn write(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    if rows.escrows.changed_count() > 0 {
        write_escrows(conn, rows).await?;
    }
    if rows.milestones.changed_count() > 0 {
        write_milestones(conn, rows).await?;
    }
    Ok(())
}

async fn write_escrows(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.escrows.changed();
    sqlx::query(
        "insert into escrows (escrow_id, buyer_party, seller_party, currency, amount, status, funded, \
                released, refunded, held, inspection_period_days, dispute_window_hours, payment_id, \
                created_at, funded_at, closed_at, cancelled_at, cancel_reason, last_sequence, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], \
                $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int4[], $12::int4[], $13::text[], \
                $14::timestamptz[], $15::timestamptz[], $16::timestamptz[], $17::timestamptz[], \
                $18::text[], $19::int8[], $20::timestamptz[]) \
         on conflict (escrow_id) do update set \
                status = excluded.status, amount = excluded.amount, funded = excluded.funded, \
                released = excluded.released, refunded = excluded.refunded, held = excluded.held, \
                payment_id = excluded.payment_id, funded_at = excluded.funded_at, \
                closed_at = excluded.closed_at, cancelled_at = excluded.cancelled_at, \
                cancel_reason = excluded.cancel_reason, last_sequence = excluded.last_sequence, \
                updated_at = excluded.updated_at",
    )
    .bind(r().map(|e| e.escrow_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.buyer_party.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.seller_party.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.amount).collect::<Vec<_>>())
    .bind(r().map(|e| e.status.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.funded).collect::<Vec<_>>())
    .bind(r().map(|e| e.released).collect::<Vec<_>>())
    .bind(r().map(|e| e.refunded).collect::<Vec<_>>())
    .bind(r().map(|e| e.held).collect::<Vec<_>>())
    .bind(r().map(|e| e.inspection_period_days).collect::<Vec<_>>())
    .bind(r().map(|e| e.dispute_window_hours).collect::<Vec<_>>())
    .bind(r().map(|e| e.payment_id.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|e| e.created_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.funded_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.closed_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.cancelled_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.cancel_reason.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|e| e.last_sequence).collect::<Vec<_>>())
    .bind(r().map(|e| e.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_milestones(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.milestones.changed();
    sqlx::query(
        "insert into escrow_milestones (escrow_id, milestone_id, description, currency, amount, status, \
                funded, released, refunded, remaining, delivered_at, inspection_ends_at, \
                dispute_window_ends_at, dispute_open, dispute_reason, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int8[], $6::text[], \
                $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::timestamptz[], \
                $12::timestamptz[], $13::timestamptz[], $14::bool[], $15::text[], $16::timestamptz[]) \
         on conflict (escrow_id, milestone_id) do update set \
                status = excluded.status, amount = excluded.amount, funded = excluded.funded, \
                released = excluded.released, refunded = excluded.refunded, \
                remaining = excluded.remaining, delivered_at = excluded.delivered_at, \
                inspection_ends_at = excluded.inspection_ends_at, \
                dispute_window_ends_at = excluded.dispute_window_ends_at, \
                dispute_open = excluded.dispute_open, dispute_reason = excluded.dispute_reason, \
                updated_at = excluded.updated_at",
    )
    .bind(r().map(|m| m.escrow_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.milestone_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.description.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.amount).collect::<Vec<_>>())
    .bind(r().map(|m| m.status.as_str()).collect::<Vec<_>>())
    .bind(r().map(|m| m.funded).collect::<Vec<_>>())
    .bind(r().map(|m| m.released).collect::<Vec<_>>())
    .bind(r().map(|m| m.refunded).collect::<Vec<_>>())
    .bind(r().map(|m| m.remaining).collect::<Vec<_>>())
    .bind(r().map(|m| m.delivered_at).collect::<Vec<_>>())
    .bind(r().map(|m| m.inspection_ends_at).collect::<Vec<_>>())
    .bind(r().map(|m| m.dispute_window_ends_at).collect::<Vec<_>>())
    .bind(r().map(|m| m.dispute_open).collect::<Vec<_>>())
    .bind(r().map(|m| m.dispute_reason.as_deref()).collect::<Vec<_>>())
    .bind(r().map(|m| m.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
