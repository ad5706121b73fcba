//! The rows of the commissions read model as plain data, loaded for the
//! escrows a batch touches and written back with one `unnest` statement
//! per table.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::read_models::table::{rows_of, Table};

type Time = DateTime<Utc>;

/// One `agent_escrows` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(super) struct AgentEscrowRow {
    pub(super) escrow_id: String,
    pub(super) agent_id: String,
    pub(super) buyer_party: String,
    pub(super) seller_party: String,
    pub(super) currency: String,
    pub(super) amount: i64,
    pub(super) commission_bps: Option<i32>,
    pub(super) commission_fixed: Option<i64>,
    pub(super) status: String,
    pub(super) agreed: i64,
    pub(super) earned: i64,
    pub(super) paid: i64,
    pub(super) pending: i64,
    pub(super) forfeited: i64,
    pub(super) released: i64,
    pub(super) seller_proceeds: i64,
    pub(super) platform_fee: i64,
    pub(super) created_at: Time,
    pub(super) funded_at: Option<Time>,
    pub(super) last_sequence: i64,
    pub(super) updated_at: Time,
}

/// One new `agent_commission_entries` row.
#[derive(Debug, Clone)]
pub(super) struct EntryRow {
    pub(super) escrow_id: String,
    pub(super) sequence: i64,
    pub(super) agent_id: String,
    pub(super) milestone_id: Option<String>,
    pub(super) kind: &'static str,
    pub(super) currency: String,
    pub(super) amount: i64,
    pub(super) moved: i64,
    pub(super) at: Time,
}

/// The rows of a batch's escrows, and the entries its events add.
#[derive(Debug, Default)]
pub(super) struct Rows {
    pub(super) escrows: Table<String, AgentEscrowRow>,
    pub(super) entries: Vec<EntryRow>,
}

/// Loads the rows of `escrow_ids` that name an agent. No row locks: one
/// batch of a generation runs at a time.
pub(super) async fn load(conn: &mut PgConnection, escrow_ids: &[&str]) -> sqlx::Result<Rows> {
    let escrows: Vec<AgentEscrowRow> =
        rows_of(&mut *conn, "agent_escrows", "escrow_id", escrow_ids).await?;
    Ok(Rows {
        escrows: Table::loaded(escrows.into_iter().map(|r| (r.escrow_id.clone(), r))),
        entries: Vec::new(),
    })
}

/// Writes every changed row and every new entry.
pub(super) async fn write(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    if rows.escrows.changed_count() > 0 {
        write_escrows(conn, rows).await?;
    }
    if !rows.entries.is_empty() {
        write_entries(conn, &rows.entries).await?;
    }
    Ok(())
}

async fn write_escrows(conn: &mut PgConnection, rows: &Rows) -> sqlx::Result<()> {
    let r = || rows.escrows.changed();
    sqlx::query(
        "insert into agent_escrows (escrow_id, agent_id, buyer_party, seller_party, currency, amount, \
                commission_bps, commission_fixed, status, agreed, earned, paid, pending, forfeited, \
                released, seller_proceeds, platform_fee, created_at, funded_at, last_sequence, updated_at) \
         select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], \
                $7::int4[], $8::int8[], $9::text[], $10::int8[], $11::int8[], $12::int8[], $13::int8[], \
                $14::int8[], $15::int8[], $16::int8[], $17::int8[], $18::timestamptz[], \
                $19::timestamptz[], $20::int8[], $21::timestamptz[]) \
         on conflict (escrow_id) do update set \
                status = excluded.status, agreed = excluded.agreed, earned = excluded.earned, \
                paid = excluded.paid, pending = excluded.pending, forfeited = excluded.forfeited, \
                released = excluded.released, seller_proceeds = excluded.seller_proceeds, \
                platform_fee = excluded.platform_fee, funded_at = excluded.funded_at, \
                last_sequence = excluded.last_sequence, updated_at = excluded.updated_at",
    )
    .bind(r().map(|e| e.escrow_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.agent_id.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.buyer_party.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.seller_party.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.currency.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.amount).collect::<Vec<_>>())
    .bind(r().map(|e| e.commission_bps).collect::<Vec<_>>())
    .bind(r().map(|e| e.commission_fixed).collect::<Vec<_>>())
    .bind(r().map(|e| e.status.as_str()).collect::<Vec<_>>())
    .bind(r().map(|e| e.agreed).collect::<Vec<_>>())
    .bind(r().map(|e| e.earned).collect::<Vec<_>>())
    .bind(r().map(|e| e.paid).collect::<Vec<_>>())
    .bind(r().map(|e| e.pending).collect::<Vec<_>>())
    .bind(r().map(|e| e.forfeited).collect::<Vec<_>>())
    .bind(r().map(|e| e.released).collect::<Vec<_>>())
    .bind(r().map(|e| e.seller_proceeds).collect::<Vec<_>>())
    .bind(r().map(|e| e.platform_fee).collect::<Vec<_>>())
    .bind(r().map(|e| e.created_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.funded_at).collect::<Vec<_>>())
    .bind(r().map(|e| e.last_sequence).collect::<Vec<_>>())
    .bind(r().map(|e| e.updated_at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

async fn write_entries(conn: &mut PgConnection, entries: &[EntryRow]) -> sqlx::Result<()> {
    let e = || entries.iter();
    sqlx::query(
        "insert into agent_commission_entries (escrow_id, sequence, agent_id, milestone_id, kind, \
                currency, amount, moved, at) \
         select * from unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], \
                $7::int8[], $8::int8[], $9::timestamptz[]) \
         on conflict (escrow_id, sequence) do nothing",
    )
    .bind(e().map(|r| r.escrow_id.as_str()).collect::<Vec<_>>())
    .bind(e().map(|r| r.sequence).collect::<Vec<_>>())
    .bind(e().map(|r| r.agent_id.as_str()).collect::<Vec<_>>())
    .bind(e().map(|r| r.milestone_id.as_deref()).collect::<Vec<_>>())
    .bind(e().map(|r| r.kind).collect::<Vec<_>>())
    .bind(e().map(|r| r.currency.as_str()).collect::<Vec<_>>())
    .bind(e().map(|r| r.amount).collect::<Vec<_>>())
    .bind(e().map(|r| r.moved).collect::<Vec<_>>())
    .bind(e().map(|r| r.at).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}
