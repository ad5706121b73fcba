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
    batch_lock(conn, name, generation).await?;
    sqlx::query_as(&format!(
        "{SELECT} where projection_name = $1 and generation = $2"
    ))
    .bind(name)
    .bind(generation)
    .fetch_one(conn)
    .await
}

/// Takes the transaction-scoped lock that serialises the batches of one
/// generation of `name`.
async fn batch_lock(conn: &mut PgConnection, name: &str, generation: i32) -> sqlx::Result<()> {
    sqlx::query("select pg_advisory_xact_lock(hashtext('projection-batch'), hashtext($1) # $2)")
        .bind(name)
        .bind(generation)
        .execute(conn)
        .await?;
    Ok(())
}

/// [`lock_for_batch`] for a batch that then writes `schema`: the row read
/// also sets, for the rest of the transaction, `search_path` to `schema`
/// (the batch's statements name its tables unqualified) and, for a
/// generation being built, `synchronous_commit = off` — one statement
/// where a `set local` of its own cost a round trip more a batch.
///
/// A generation being built is read by no one, so its batches commit
/// without waiting for the WAL flush (one fsync a batch, milliseconds on a
/// slow disk). A crash can then lose the last batches, but only together
/// with the checkpoint that counts them (same transaction), so nothing is
/// applied twice or skipped. Live batches keep waiting: a query told a
/// position was reached must still find its rows after a crash.
pub async fn lock_for_batch_in(
    conn: &mut PgConnection,
    name: &str,
    generation: i32,
    schema: &str,
) -> sqlx::Result<Generation> {
    batch_lock(conn, name, generation).await?;
    // the settings are made with the row read, after the lock: a statement
    // reads with the snapshot it started with
    sqlx::query_as(&format!(
        "{}, set_config('search_path', $3, true) as search_path, \
                set_config('synchronous_commit', case when status = 'building' then 'off' \
                           else current_setting('synchronous_commit') end, true) as synchronous_commit \
           from projection where projection_name = $1 and generation = $2",
        SELECT.trim_end_matches(" from projection")
    ))
    .bind(name)
    .bind(generation)
    .bind(format!("{schema}, public"))
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
    let ddl = if status == "building" {
        first_pass_ddl(projection.tables(), P::DEFER_INDEXES)
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

/// The DDL a rebuild's first pass loads into: if `defer` (see
/// [`Projection::DEFER_INDEXES`]), the tables without their secondary
/// indexes ([`split_indexes`]) and foreign keys ([`split_foreign_keys`]),
/// which [`create_deferred`] adds once the pass is done. A foreign key
/// checks every inserted row with a query of its own and locks the row it
/// references: in the orders model that was half of a rebuild batch's
/// database time (`pg_stat_statements`: 715,000 checks over 300,000
/// events, and the two child tables' inserts took 48 ms a batch with them,
/// 24 ms without).
///
/// The tables stay logged: loading them unlogged and setting them logged
/// afterwards was measured slower (the rows' WAL is a small part of an
/// insert's cost, and `set logged` rewrites every table).
pub fn first_pass_ddl(ddl: &str, defer: bool) -> String {
    if !defer {
        return ddl.to_owned();
    }
    let (tables, _) = split_indexes(ddl);
    split_foreign_keys(&tables).0
}

/// Splits the foreign keys out of the `create table` statements of
/// `tables` (as [`split_indexes`] returns them): the statements without
/// them, and the `alter table … add foreign key …` statements that add
/// them back (with the names Postgres gives the inline ones). A column's
/// `references` clause must come last in its definition.
pub fn split_foreign_keys(tables: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut keys = Vec::new();
    for statement in tables.split_terminator(";\n") {
        match table_name(statement) {
            Some(table) => {
                let (kept, found) = without_references(statement, table);
                out.push_str(&kept);
                keys.extend(found);
            }
            None => out.push_str(statement),
        }
        out.push_str(";\n");
    }
    (out, keys)
}

/// One `create table` statement without its foreign keys, and those keys.
fn without_references(statement: &str, table: &str) -> (String, Vec<String>) {
    let (Some(open), Some(close)) = (statement.find('('), statement.rfind(')')) else {
        return (statement.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut keys = Vec::new();
    for element in top_level(&statement[open + 1..close]) {
        let element = element.trim();
        let constraint = element.starts_with("constraint ") || element.starts_with("foreign key");
        if constraint && element.contains("references ") {
            keys.push(format!("alter table {table} add {element}"));
        } else if let Some(at) = element.find(" references ").filter(|_| !constraint) {
            let column = element.split_whitespace().next().unwrap_or_default();
            keys.push(format!(
                "alter table {table} add foreign key ({column}){}",
                &element[at..]
            ));
            kept.push(&element[..at]);
        } else {
            kept.push(element);
        }
    }
    let statement = format!(
        "{}(\n    {}\n){}",
        &statement[..open],
        kept.join(",\n    "),
        &statement[close + 1..]
    );
    (statement, keys)
}

/// `body` split at its commas outside parentheses.
fn top_level(body: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    for (at, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&body[from..at]);
                from = at + 1;
            }
            _ => {}
        }
    }
    parts.push(&body[from..]);
    parts
}

/// The table a `create table` statement creates.
fn table_name(statement: &str) -> Option<&str> {
    let rest = statement.strip_prefix("create table ")?;
    rest.split(|c: char| c.is_whitespace() || c == '(')
        .find(|word| !word.is_empty())
}

/// Creates what [`first_pass_ddl`] deferred: the secondary indexes, built
/// once instead of maintained row by row, and the foreign keys, each
/// checked with one join instead of a query per row.
pub async fn create_deferred<P: Projection>(
    pool: &PgPool,
    projection: &P,
    generation: i32,
) -> sqlx::Result<()> {
    let (tables, indexes) = split_indexes(projection.tables());
    let (_, keys) = split_foreign_keys(&tables);
    let mut tx = bazaar_event_store::pool::begin(pool).await?;
    let schema = schema_name(P::NAME, generation);
    sqlx::raw_sql(&format!("set local search_path = {schema}, public"))
        .execute(&mut *tx)
        .await?;
    for index in indexes {
        let index = index.replacen("create index ", "create index if not exists ", 1);
        sqlx::raw_sql(&index).execute(&mut *tx).await?;
    }
    for key in keys {
        sqlx::raw_sql(&key).execute(&mut *tx).await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_first_pass_defers_secondary_indexes_and_foreign_keys_only() {
        let ddl = "create table a (id text primary key);\n\
                   create index a_x on a (id);\n\
                   create table b (id text references a (id), n int);\n\
                   create unique index b_u on b (n);";
        assert_eq!(
            first_pass_ddl(ddl, true),
            "create table a (\n    id text primary key\n);\n\
             create table b (\n    id text,\n    n int\n);\n\
             create unique index b_u on b (n);\n"
        );
        assert_eq!(first_pass_ddl(ddl, false), ddl);
    }

    #[test]
    fn foreign_keys_are_split_from_their_tables() {
        let ddl = "create table a (id text primary key, n numeric(10, 2));\n\
                   create table b (\n    id text not null references a (id),\n    n int,\n    \
                   primary key (id, n),\n    foreign key (n) references c (n) on delete cascade\n);\n";
        let (tables, keys) = split_foreign_keys(ddl);
        assert_eq!(
            tables,
            "create table a (\n    id text primary key,\n    n numeric(10, 2)\n);\n\
             create table b (\n    id text not null,\n    n int,\n    primary key (id, n)\n);\n"
        );
        assert_eq!(
            keys,
            [
                "alter table b add foreign key (id) references a (id)",
                "alter table b add foreign key (n) references c (n) on delete cascade"
            ]
        );
    }

    #[test]
    fn the_read_models_foreign_keys_are_found() {
        let (tables, _) = split_indexes(include_str!("read_models/orders/tables.sql"));
        let (kept, keys) = split_foreign_keys(&tables);
        assert!(!kept.contains("references"));
        assert_eq!(
            keys,
            [
                "alter table order_lines add foreign key (order_id) references orders (order_id)",
                "alter table vendor_orders add foreign key (order_id) references orders (order_id)"
            ]
        );
    }

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
