//! What readers ask the commissions read model (`read.agent_escrows`,
//! `read.agent_commission_entries`; docs/read-models/commissions.md), as
//! typed functions over any pool: the API's handlers call them on the pool
//! their read-your-writes wait ran on, and keep who may see what. All
//! amounts are minor units of the row's currency.
//!
//! The statements live here, next to the tables they read, because the
//! module that writes a table owns its statements
//! (docs/adr/0002-runtime-checked-sql.md). The escrow detail
//! (`super::super::escrows::queries`) shows an escrow's agent row too; it
//! takes the columns from here ([`AGENT_COLUMNS`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;

/// An agent's commission on one escrow sale. `earned` is the commission on
/// funded money not refunded (zero before funding) and equals `paid +
/// pending`; `forfeited` went with refunds; `released = paid +
/// seller_proceeds + platform_fee`.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct AgentEscrowRow {
    pub escrow_id: String,
    pub agent_id: String,
    pub buyer_party: String,
    pub seller_party: String,
    pub currency: String,
    pub amount: i64,
    /// The commission rate, when it is one.
    pub commission_bps: Option<i32>,
    /// The fixed commission, when it is one.
    pub commission_fixed: Option<i64>,
    pub status: String,
    pub agreed: i64,
    pub earned: i64,
    pub paid: i64,
    pub pending: i64,
    pub forfeited: i64,
    pub released: i64,
    pub seller_proceeds: i64,
    pub platform_fee: i64,
    pub created_at: DateTime<Utc>,
    pub funded_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// An agent's commission in one calendar month (UTC) and currency:
/// `earned` on sales funded that month, `paid` with that month's releases,
/// `forfeited` with that month's refunds.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct AgentMonthRow {
    pub agent_id: String,
    /// `YYYY-MM`.
    pub month: String,
    pub currency: String,
    pub earned: i64,
    pub paid: i64,
    pub forfeited: i64,
}

/// Where a row sits in an agent's escrows: `(created_at, escrow_id)`.
pub type CreatedKey = (DateTime<Utc>, String);

/// The columns of [`AgentEscrowRow`].
pub(crate) const AGENT_COLUMNS: &str =
    "escrow_id, agent_id, buyer_party, seller_party, currency, amount, \
    commission_bps, commission_fixed, status, agreed, earned, paid, pending, forfeited, released, \
    seller_proceeds, platform_fee, created_at, funded_at, updated_at";

/// An agent's escrows, optionally in one status, newest first, after
/// `after`; at most `limit`.
pub async fn escrows(
    db: &PgPool,
    agent_id: &str,
    status: Option<&str>,
    after: Option<CreatedKey>,
    limit: i64,
) -> sqlx::Result<Vec<AgentEscrowRow>> {
    let (at, escrow) = after.unzip();
    sqlx::query_as(&format!(
        "select {AGENT_COLUMNS} from read.agent_escrows \
          where agent_id = $1 and ($2::text is null or status = $2) \
            and ($3::timestamptz is null or (created_at, escrow_id) < ($3, $4)) \
          order by created_at desc, escrow_id desc limit $5"
    ))
    .bind(agent_id)
    .bind(status)
    .bind(at)
    .bind(escrow)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// An agent's commission per calendar month (UTC) and currency in
/// `[from, to)` (`None` ends open), oldest first.
pub async fn monthly(
    db: &PgPool,
    agent_id: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sqlx::Result<Vec<AgentMonthRow>> {
    sqlx::query_as(
        "select agent_id, to_char(date_trunc('month', at at time zone 'UTC'), 'YYYY-MM') as month, \
                currency, \
                coalesce(sum(amount) filter (where kind = 'earned'), 0)::int8 as earned, \
                coalesce(sum(amount) filter (where kind = 'paid'), 0)::int8 as paid, \
                coalesce(sum(amount) filter (where kind = 'forfeited'), 0)::int8 as forfeited \
           from read.agent_commission_entries \
          where agent_id = $1 and ($2::timestamptz is null or at >= $2) \
            and ($3::timestamptz is null or at < $3) \
          group by 1, 2, 3 order by 2, 3",
    )
    .bind(agent_id)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}
