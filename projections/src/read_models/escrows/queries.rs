//! What readers ask the escrows read model (`read.escrows`,
//! `read.escrow_milestones`; docs/read-models/escrows.md), as typed
//! functions over any pool: the API's handlers call them on the pool their
//! read-your-writes wait ran on, and keep who may see what. Money: minor
//! units of the row's currency.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md). An escrow is also shown with
//! its agent's commission, and an agent lists the escrows it brokered:
//! those two read `read.agent_escrows` of the commissions model too, with
//! its columns and row type (`super::super::commissions::queries`). Each
//! query is one statement: a detail brings its milestones and agent row as
//! JSON (`milestone_rows`, `agent_row`), decoded into typed rows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::super::commissions::queries::{AgentEscrowRow, AGENT_COLUMNS};

/// An escrow. Money: minor units of `currency`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct EscrowRow {
    pub escrow_id: String,
    pub buyer_party: String,
    pub seller_party: String,
    pub currency: String,
    pub amount: i64,
    pub status: String,
    pub funded: i64,
    pub released: i64,
    pub refunded: i64,
    pub held: i64,
    pub inspection_period_days: i32,
    pub dispute_window_hours: i32,
    pub payment_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub funded_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// One milestone of an escrow.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct EscrowMilestoneRow {
    pub milestone_id: String,
    pub description: String,
    pub currency: String,
    pub amount: i64,
    pub status: String,
    pub funded: i64,
    pub released: i64,
    pub refunded: i64,
    pub remaining: i64,
    pub delivered_at: Option<DateTime<Utc>>,
    pub inspection_ends_at: Option<DateTime<Utc>>,
    pub dispute_window_ends_at: Option<DateTime<Utc>>,
    pub dispute_open: bool,
    pub dispute_reason: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// An escrow with its milestones, and its agent's commission when an agent
/// brokered it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EscrowDetail {
    pub escrow: EscrowRow,
    pub milestones: Vec<EscrowMilestoneRow>,
    pub agent: Option<AgentEscrowRow>,
}

/// Whose escrows a list shows; `None` filters nothing.
#[derive(Debug, Clone, Default)]
pub struct EscrowFilter {
    /// Escrows this party buys in.
    pub buyer_party: Option<String>,
    /// Escrows this party sells in.
    pub seller_party: Option<String>,
    /// Escrows this agent brokered.
    pub agent_id: Option<String>,
    /// Only escrows in this status.
    pub status: Option<String>,
}

/// Where a row sits in the newest-first list: `(created_at, escrow_id)`.
pub type CreatedKey = (DateTime<Utc>, String);

const ESCROW_COLUMNS: &str = "escrow_id, buyer_party, seller_party, currency, amount, status, funded, \
    released, refunded, held, inspection_period_days, dispute_window_hours, payment_id, created_at, \
    funded_at, closed_at, cancelled_at, cancel_reason, updated_at";
const MILESTONE_COLUMNS: &str = "milestone_id, description, currency, amount, status, funded, \
    released, refunded, remaining, delivered_at, inspection_ends_at, dispute_window_ends_at, \
    dispute_open, dispute_reason, updated_at";

/// Escrows matching `filter`, newest first, after `after`; at most `limit`.
pub async fn list(
    db: &PgPool,
    filter: &EscrowFilter,
    after: Option<CreatedKey>,
    limit: i64,
) -> sqlx::Result<Vec<EscrowRow>> {
    let (at, escrow) = after.unzip();
    sqlx::query_as(&format!(
        "select {ESCROW_COLUMNS} from read.escrows \
          where ($1::text is null or buyer_party = $1) and ($2::text is null or seller_party = $2) \
            and ($3::text is null or status = $3) \
            and ($4::timestamptz is null or (created_at, escrow_id) < ($4, $5)) \
            and ($7::text is null or escrow_id in \
                 (select escrow_id from read.agent_escrows where agent_id = $7)) \
          order by created_at desc, escrow_id desc limit $6"
    ))
    .bind(&filter.buyer_party)
    .bind(&filter.seller_party)
    .bind(&filter.status)
    .bind(at)
    .bind(escrow)
    .bind(limit)
    .bind(&filter.agent_id)
    .fetch_all(db)
    .await
}

/// An escrow row with its milestones and agent row as JSON.
#[derive(sqlx::FromRow)]
struct DetailRow {
    #[sqlx(flatten)]
    escrow: EscrowRow,
    milestone_rows: Json<Vec<EscrowMilestoneRow>>,
    agent_row: Option<Json<AgentEscrowRow>>,
}

/// One escrow with its milestones (by id) and its agent's commission row,
/// in one statement.
pub async fn detail(db: &PgPool, escrow_id: &str) -> sqlx::Result<Option<EscrowDetail>> {
    let row: Option<DetailRow> = sqlx::query_as(&format!(
        "select {ESCROW_COLUMNS}, \
                coalesce((select json_agg(m order by m.milestone_id) from \
                          (select {MILESTONE_COLUMNS} from read.escrow_milestones \
                            where escrow_id = $1) m), \
                         '[]') as milestone_rows, \
                (select row_to_json(a) from \
                   (select {AGENT_COLUMNS} from read.agent_escrows where escrow_id = $1) a) \
                  as agent_row \
           from read.escrows where escrow_id = $1"
    ))
    .bind(escrow_id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| EscrowDetail {
        escrow: row.escrow,
        milestones: row.milestone_rows.0,
        agent: row.agent_row.map(|agent| agent.0),
    }))
}
