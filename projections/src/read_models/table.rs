//! Rows of a batch held in memory: loaded once, changed by every event of
//! the batch in order, and written back once, only those that changed.
//!
//! The read models that apply batches set-based (`stock`, `balances`,
//! `escrows`, `commissions`) keep one [`Table`] per database table. Each
//! event changes the rows exactly as its one-row statements did; the batch
//! then writes each table's changed rows with one `unnest` statement, so a
//! row changed by ten events of a batch is written once.
//!
//! The models whose rows are keyed by the streams they follow (`escrows`,
//! `commissions`, `balances`) share the batch itself, [`fold_batch`]: their
//! events picked out, their streams' rows loaded, folded, written back.
//! `stock` loads by what the events name (stocks, batches and holds), not by
//! stream.
//!
//! A batch loads the rows of its keys (an escrow and its milestones, an
//! order's lines), by a primary key or the leading column of a composite
//! one, with [`by_key`]: a lateral join over the distinct keys, each looked up
//! in the index (its `offset 0` keeps the planner from flattening the join
//! into a hash join over the whole table). Not `key = any($1)`: for that
//! the planner estimates the matches from the column's statistics, which
//! lag a table that grows as fast as the log (and do not exist yet in a
//! generation being rebuilt); it then chose a sequential scan of the whole
//! table (`pg_stat_statements`: 125 ms a batch on average at 18,000
//! escrows, and 427 ms a batch for the orders of a rebuild, on a loaded
//! machine; the scan grows with the table).

use std::collections::BTreeMap;

use bazaar_event_store::RecordedEvent;
use sqlx::postgres::PgRow;
use sqlx::PgConnection;

use crate::projection::{ApplyError, BatchError};

/// The statement that loads `columns` of every row of `table` whose `key`
/// is in the text array `$1`, each key looked up in the index that `key`
/// leads (see the module doc).
pub(crate) fn by_key(columns: &str, table: &str, key: &str) -> String {
    format!(
        "select t.* from (select distinct unnest($1::text[])) as wanted(key) \
         cross join lateral (select {columns} from {table} where {key} = wanted.key offset 0) t"
    )
}

/// [`by_key`] for a composite key: the rows of `table` whose `keys`
/// columns equal, in order, the elements at the same index of the text
/// arrays `$1`, `$2`, …, each key looked up in the index those columns lead.
pub(crate) fn by_keys(columns: &str, table: &str, keys: &[&str]) -> String {
    let arrays: Vec<String> = (1..=keys.len()).map(|n| format!("${n}::text[]")).collect();
    let wanted: Vec<String> = (1..=keys.len()).map(|n| format!("k{n}")).collect();
    let matches: Vec<String> = keys
        .iter()
        .zip(&wanted)
        .map(|(key, k)| format!("{key} = wanted.{k}"))
        .collect();
    format!(
        "select t.* from (select distinct * from unnest({})) as wanted({}) \
         cross join lateral (select {columns} from {table} where {} offset 0) t",
        arrays.join(", "),
        wanted.join(", "),
        matches.join(" and ")
    )
}

/// Every row of `table` whose `key` is one of `keys` ([`by_key`]).
pub(crate) async fn rows_of<R>(
    conn: &mut PgConnection,
    table: &str,
    key: &str,
    keys: &[&str],
) -> sqlx::Result<Vec<R>>
where
    R: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    sqlx::query_as(&by_key("*", table, key))
        .bind(keys)
        .fetch_all(conn)
        .await
}

/// One table's rows touched by a batch, keyed by primary key (ordered, so
/// the batch writes rows in key order).
#[derive(Debug)]
pub(crate) struct Table<K, R> {
    rows: BTreeMap<K, Tracked<R>>,
}

#[derive(Debug)]
struct Tracked<R> {
    row: R,
    changed: bool,
}

impl<K, R> Default for Table<K, R> {
    fn default() -> Self {
        Self {
            rows: BTreeMap::new(),
        }
    }
}

impl<K: Ord, R> Table<K, R> {
    /// The rows as loaded from the database: none changed yet.
    pub(crate) fn loaded(rows: impl IntoIterator<Item = (K, R)>) -> Self {
        let rows = rows
            .into_iter()
            .map(|(key, row)| {
                (
                    key,
                    Tracked {
                        row,
                        changed: false,
                    },
                )
            })
            .collect();
        Self { rows }
    }

    /// The row of `key`, to read.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<&R>
    where
        K: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.rows.get(key).map(|tracked| &tracked.row)
    }

    /// The row of `key`, to change: it will be written.
    pub(crate) fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut R>
    where
        K: std::borrow::Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.rows.get_mut(key).map(|tracked| {
            tracked.changed = true;
            &mut tracked.row
        })
    }

    /// Adds (or replaces) the row of `key`; it will be written.
    pub(crate) fn insert(&mut self, key: K, row: R) {
        self.rows.insert(key, Tracked { row, changed: true });
    }

    /// The changed rows, in key order.
    pub(crate) fn changed(&self) -> impl Iterator<Item = &R> {
        self.rows
            .values()
            .filter(|tracked| tracked.changed)
            .map(|tracked| &tracked.row)
    }

    /// Every row, changed or not, in key order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &R> {
        self.rows.values().map(|tracked| &tracked.row)
    }

    /// How many rows changed.
    pub(crate) fn changed_count(&self) -> usize {
        self.rows.values().filter(|tracked| tracked.changed).count()
    }

    /// Every row from `start` on, changed or not, in key order.
    pub(crate) fn from<'a>(&'a self, start: &K) -> impl Iterator<Item = (&'a K, &'a R)> + 'a
    where
        K: Clone,
    {
        self.rows
            .range(start.clone()..)
            .map(|(key, tracked)| (key, &tracked.row))
    }
}

/// A batch's rows of a model that follows whole streams: loaded by the ids
/// of the batch's streams of [`StreamRows::AGGREGATE_TYPES`], changed by
/// each of their events in order, written back once.
pub(crate) trait StreamRows: Sized {
    /// The aggregate types whose events change these rows.
    const AGGREGATE_TYPES: &'static [&'static str];

    /// The rows of streams `ids` (sorted, distinct).
    async fn load(conn: &mut PgConnection, ids: &[&str]) -> sqlx::Result<Self>;

    /// One event folded into the rows, exactly as applying it alone would.
    fn fold(&mut self, event: &RecordedEvent) -> Result<(), ApplyError>;

    /// The changed rows written back.
    async fn write(&self, conn: &mut PgConnection) -> sqlx::Result<()>;
}

/// Applies a batch to `R`'s rows: the events of its aggregate types folded
/// in log order into the rows of their streams, loaded once and written
/// once. A failing event is named by its index in `events`; a failing load
/// or write fails the batch as a whole.
pub(crate) async fn fold_batch<R: StreamRows>(
    conn: &mut PgConnection,
    events: &[RecordedEvent],
) -> Result<(), BatchError> {
    let mine: Vec<(usize, &RecordedEvent)> = events
        .iter()
        .enumerate()
        .filter(|(_, event)| R::AGGREGATE_TYPES.contains(&event.aggregate_type.as_str()))
        .collect();
    if mine.is_empty() {
        return Ok(());
    }
    let ids = distinct(mine.iter().map(|(_, e)| e.aggregate_id.as_str()).collect());
    let mut rows = R::load(conn, &ids).await.map_err(BatchError::whole)?;
    for (index, event) in mine {
        rows.fold(event).map_err(|e| BatchError::at(index, e))?;
    }
    rows.write(conn).await.map_err(BatchError::whole)
}

/// The events of `aggregate_type` in a batch, with their index in it.
pub(crate) fn of_type<'e>(
    events: &'e [RecordedEvent],
    aggregate_type: &str,
) -> Vec<(usize, &'e RecordedEvent)> {
    events
        .iter()
        .enumerate()
        .filter(|(_, event)| event.aggregate_type == aggregate_type)
        .collect()
}

/// Sorted, deduplicated values.
pub(crate) fn distinct<T: Ord>(mut values: Vec<T>) -> Vec<T> {
    values.sort_unstable();
    values.dedup();
    values
}
