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

/// Serialises the batches of one generation and returns its row, without
/// taking a transaction id: a row lock (`for update`) assigns one at the
/// start of every batch, and a running transaction id holds back every
/// log reader's horizon (`pg_snapshot_xmin`, cluster-wide) for as long as
/// the batch runs, so a slow projection would delay all the others. The
/// advisory lock ends with the transaction; only batch holders move a
/// checkpoint, so the row read after it is current.
pub async fn lock_for_batch(
    conn: &mut PgConnection,
    name: &str,
    generation: i32,
) -> sqlx::Result<Generation> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('projection-batch'), hashtext($1) # $2)")
        .bind(name)
        .bind(generation)
        .execute(&mut *conn)
        .await?;
    sqlx::query_as(&format!(
        "{SELECT} where projection_name = $1 and generation = $2"
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
    let (tables, _) = split_indexes(projection.tables());
    let ddl = if P::DEFER_INDEXES && status == "building" {
        tables
    } else {
        projection.tables().to_owned()
    };
    sqlx::raw_sql(&ddl).execute(&mut *conn).await?;
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

/// Splits a generation's DDL into the statements that create its tables
/// (with their primary keys and constraints) and those that create its
/// secondary indexes (`create index …`, never unique ones: upserts rely on
/// those). A rebuild of a projection with [`Projection::DEFER_INDEXES`]
/// loads its rows without the secondary indexes and builds them once,
/// which is several times cheaper than maintaining them row by row.
pub fn split_indexes(ddl: &str) -> (String, Vec<String>) {
    let code: String = ddl
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let mut tables = String::new();
    let mut indexes = Vec::new();
    for statement in code.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        if statement.to_lowercase().starts_with("create index ") {
            indexes.push(format!("{statement};"));
        } else {
            tables.push_str(statement);
            tables.push_str(";\n");
        }
    }
    (tables, indexes)
}

/// Creates the secondary indexes a rebuild deferred (see [`split_indexes`]).
pub async fn create_deferred_indexes<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
) -> sqlx::Result<()> {
    let (_, indexes) = split_indexes(projection.tables());
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let schema = schema_name(P::NAME, generation);
    sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
        .execute(&mut *tx)
        .await?;
    for index in indexes {
        let index = index.replacen("create index ", "create index if not exists ", 1);
        sqlx::raw_sql(&index).execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_indexes_are_split_from_tables_and_unique_ones_stay() {
        let ddl = "-- a comment; with a semicolon\n\
                   create table t (id text primary key, v int);\n\
                   create index t_v on t (v) where v > 0;\n\
                   create unique index t_u on t (v, id);\n\
                   CREATE INDEX t_w on t (id, v);";
        let (tables, indexes) = split_indexes(ddl);
        assert_eq!(
            tables,
            "create table t (id text primary key, v int);\ncreate unique index t_u on t (v, id);\n"
        );
        assert_eq!(
            indexes,
            [
                "create index t_v on t (v) where v > 0;",
                "CREATE INDEX t_w on t (id, v);"
            ]
        );
    }
}
