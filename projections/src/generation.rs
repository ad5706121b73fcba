//! Generations: one schema of tables per build of a projection, and the
//! `read` views that point at the live one.

use bazaar_event_store::Position;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::projection::Projection;

/// A generation's row in `projection`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Generation {
    /// The projection's name.
    pub projection_name: String,
    /// Its generation number.
    pub generation: i32,
    /// `building`, `live`, `retired` or `failed`.
    pub status: String,
    /// Transaction id of the last applied event.
    pub tx_id: i64,
    /// Global position of the last applied event.
    pub position: i64,
    /// Events applied so far.
    pub events_applied: i64,
    /// When the last applied event was recorded.
    pub last_event_at: Option<DateTime<Utc>>,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// The event it failed on.
    pub error_position: Option<i64>,
}

impl Generation {
    /// The schema holding this generation's tables.
    pub fn schema(&self) -> String {
        schema_name(&self.projection_name, self.generation)
    }

    /// The last applied event's place in the log.
    pub fn checkpoint(&self) -> Position {
        Position::new(u64::try_from(self.tx_id).unwrap_or_default(), self.position)
    }
}

/// `rm_<name>_g<generation>`.
pub fn schema_name(name: &str, generation: i32) -> String {
    format!("rm_{name}_g{generation}")
}

const SELECT: &str =
    "select projection_name, generation, status, tx_id::text::bigint as tx_id, position, \
     events_applied, last_event_at, error, error_position from projection";

/// Every generation of `name`, newest first.
pub async fn generations(pool: &PgPool, name: &str) -> sqlx::Result<Vec<Generation>> {
    sqlx::query_as(&format!(
        "{SELECT} where projection_name = $1 order by generation desc"
    ))
    .bind(name)
    .fetch_all(pool)
    .await
}

/// The generation of `name` readers see, if any.
pub async fn live(pool: &PgPool, name: &str) -> sqlx::Result<Option<Generation>> {
    Ok(generations(pool, name)
        .await?
        .into_iter()
        .find(|g| g.status == "live"))
}

/// Locks and returns one generation's row inside a transaction.
pub async fn lock(
    conn: &mut PgConnection,
    name: &str,
    generation: i32,
) -> sqlx::Result<Generation> {
    sqlx::query_as(&format!(
        "{SELECT} where projection_name = $1 and generation = $2 for update"
    ))
    .bind(name)
    .bind(generation)
    .fetch_one(conn)
    .await
}

/// Makes sure `projection` has a live generation, creating the first one
/// (tables and views) if there is none; returns it. A generation that
/// failed stays the live one's status `failed` until an operator acts.
pub async fn ensure_live<P: Projection>(pool: &PgPool, projection: &P) -> sqlx::Result<Generation> {
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    // one creator at a time across processes
    sqlx::query("select pg_advisory_xact_lock(hashtext('projection-create'), hashtext($1))")
        .bind(P::NAME)
        .execute(&mut *tx)
        .await?;
    let existing: Option<i32> = sqlx::query_scalar(
        "select generation from projection where projection_name = $1 and status in ('live', 'failed') \
         order by generation desc limit 1",
    )
    .bind(P::NAME)
    .fetch_optional(&mut *tx)
    .await?;
    if existing.is_none() {
        let generation = create(&mut tx, projection, "live").await?;
        expose(&mut tx, projection, generation).await?;
    }
    tx.commit().await?;
    live_or_failed(pool, P::NAME).await
}

async fn live_or_failed(pool: &PgPool, name: &str) -> sqlx::Result<Generation> {
    generations(pool, name)
        .await?
        .into_iter()
        .find(|g| g.status == "live" || g.status == "failed")
        .ok_or(sqlx::Error::RowNotFound)
}

/// Creates the next generation's schema, tables and row with `status`.
pub async fn create<P: Projection>(
    conn: &mut PgConnection,
    projection: &P,
    status: &str,
) -> sqlx::Result<i32> {
    let generation: i32 = sqlx::query_scalar(
        "select coalesce(max(generation), 0) + 1 from projection where projection_name = $1",
    )
    .bind(P::NAME)
    .fetch_one(&mut *conn)
    .await?;
    let schema = schema_name(P::NAME, generation);
    sqlx::raw_sql(&format!("drop schema if exists {schema} cascade; create schema {schema}; set local search_path = {schema}, public;"))
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql(projection.tables())
        .execute(&mut *conn)
        .await?;
    sqlx::raw_sql("set local search_path = public")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into projection (projection_name, generation, code_version, status) values ($1, $2, $3, $4)",
    )
    .bind(P::NAME)
    .bind(generation)
    .bind(P::CODE_VERSION)
    .bind(status)
    .execute(&mut *conn)
    .await?;
    Ok(generation)
}

/// Points the `read.<table>` views at `generation`'s tables.
pub async fn expose<P: Projection>(
    conn: &mut PgConnection,
    projection: &P,
    generation: i32,
) -> sqlx::Result<()> {
    let schema = schema_name(P::NAME, generation);
    for table in projection.exposed() {
        sqlx::raw_sql(&format!(
            "drop view if exists read.{table}; create view read.{table} as select * from {schema}.{table};"
        ))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
