//! Rows of a batch held in memory: loaded once, changed by every event of
//! the batch in order, and written back once, only those that changed.
//!
//! The read models that apply batches set-based (`stock`, `balances`,
//! `escrows`) keep one [`Table`] per database table. Each event changes the
//! rows exactly as its one-row statements did; the batch then writes each
//! table's changed rows with one `unnest` statement, so a row changed by
//! ten events of a batch is written once.

use std::collections::BTreeMap;

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

/// The events of `aggregate_type` in a batch, with their index in it.
pub(crate) fn of_type<'e>(
    events: &'e [bazaar_event_store::RecordedEvent],
    aggregate_type: &str,
) -> Vec<(usize, &'e bazaar_event_store::RecordedEvent)> {
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
