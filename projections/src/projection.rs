//! What a read model is to the runtime.

use std::future::Future;

use bazaar_event_store::RecordedEvent;
use sqlx::PgConnection;

/// What a projection made of a batch's events before applying them
/// ([`Projection::prepare`]), for its own
/// [`apply_prepared`](Projection::apply_prepared) to take back.
pub type Prepared = Box<dyn std::any::Any + Send>;

/// Why applying an event failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The event cannot be applied by this code (unreadable payload, a
    /// constraint the read model refuses): the projection stops in the
    /// `failed` state naming the event, and is never advanced past it.
    #[error("cannot apply event: {0}")]
    Poison(String),
    /// The database failed; the batch is retried.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl ApplyError {
    /// A poison error from anything displayable.
    pub fn poison(reason: impl std::fmt::Display) -> Self {
        Self::Poison(reason.to_string())
    }
}

/// An event's payload as the typed event `T`, deserialised straight from
/// the stored text; a payload this code cannot read is poison, named by its
/// event type.
pub fn decode<'de, T: serde::Deserialize<'de>>(event: &'de RecordedEvent) -> Result<T, ApplyError> {
    event
        .payload
        .decode()
        .map_err(|e| ApplyError::poison(format!("unreadable {} payload: {e}", event.event_type)))
}

/// Why applying a batch failed, and at which event when that is known.
#[derive(Debug)]
pub struct BatchError {
    /// The index in the batch of the event that failed; `None` when a
    /// set-based write failed for the batch as a whole (the runtime then
    /// applies the events one at a time to find it).
    pub at: Option<usize>,
    /// What failed.
    pub error: ApplyError,
}

impl BatchError {
    /// The event at `index` failed.
    pub fn at(index: usize, error: impl Into<ApplyError>) -> Self {
        Self {
            at: Some(index),
            error: error.into(),
        }
    }

    /// A statement written for the whole batch failed.
    pub fn whole(error: impl Into<ApplyError>) -> Self {
        Self {
            at: None,
            error: error.into(),
        }
    }
}

/// Applies one event through `projection`'s [`Projection::apply_batch`]:
/// the `apply` of a read model whose batches are set-based.
pub async fn apply_one<P: Projection>(
    projection: &P,
    conn: &mut PgConnection,
    event: &RecordedEvent,
) -> Result<(), ApplyError> {
    projection
        .apply_batch(conn, std::slice::from_ref(event))
        .await
        .map_err(|failure| failure.error)
}

/// A Postgres read model built from the event log.
///
/// `apply` runs inside the batch transaction with `search_path` set to the
/// generation's own schema, so it uses unqualified table names; the runtime
/// writes the checkpoint in the same transaction. Applying must assign facts
/// carried by the event (no business rule), and be idempotent per event:
/// guard upserts with the stream's sequence.
///
/// The returned future is not required to be `Send` (rustc cannot prove
/// `Send` for sqlx calls on a borrowed `&mut PgConnection` inside a trait's
/// async method), so projection workers run on the task that calls them
/// (`tokio::join!` in `bazaar serve`), not through `tokio::spawn`.
pub trait Projection: Send + Sync + 'static {
    /// Stable name: the schema prefix and the views' prefix in `read`.
    const NAME: &'static str;
    /// Version of the tables and of `apply`; recorded with each generation.
    const CODE_VERSION: i32;
    /// Whether a rebuild may load the rows before building the secondary
    /// indexes (`create index` statements of [`tables`](Self::tables)).
    /// Only for read models whose `apply` finds rows by primary key alone:
    /// without the other indexes, any other lookup scans the table.
    const DEFER_INDEXES: bool = false;
    /// The aggregate types whose events the projection applies; every
    /// other event reaches it with payload and metadata `null` (it still
    /// moves the checkpoint), which spares Postgres rendering them. Empty
    /// (the default): every event in full.
    const AGGREGATE_TYPES: &'static [&'static str] = &[];

    /// `CREATE TABLE` statements (unqualified names) of one generation.
    fn tables(&self) -> &'static str;

    /// Names of the tables to expose as `read.<table>` views.
    fn exposed(&self) -> &'static [&'static str];

    /// Applies one event. Events of aggregates the projection ignores are
    /// skipped by returning `Ok(())`.
    fn apply(
        &self,
        conn: &mut PgConnection,
        event: &RecordedEvent,
    ) -> impl Future<Output = Result<(), ApplyError>>;

    /// Work on a batch that needs nothing but its events, such as decoding
    /// their payloads, done by the task that read the batch while the
    /// batch before it is still being written (`runtime::ReadAhead`), so
    /// it leaves the batch's own critical path; the result reaches
    /// [`apply_prepared`](Self::apply_prepared) with the same events. The
    /// default prepares nothing.
    fn prepare(events: &[RecordedEvent]) -> Option<Prepared> {
        let _ = events;
        None
    }

    /// Applies a batch of events with what [`prepare`](Self::prepare)
    /// made of them; it must give the same rows as
    /// [`apply_batch`](Self::apply_batch), which the default calls.
    fn apply_prepared(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
        prepared: Prepared,
    ) -> impl Future<Output = Result<(), BatchError>> {
        drop(prepared);
        self.apply_batch(conn, events)
    }

    /// Applies a batch of events, in order. The default applies them one
    /// by one; a read model with many events per second overrides it with
    /// set-based statements (a few per batch, whatever its size), and must
    /// then give the same rows as applying one event at a time.
    fn apply_batch(
        &self,
        conn: &mut PgConnection,
        events: &[RecordedEvent],
    ) -> impl Future<Output = Result<(), BatchError>> {
        async move {
            for (index, event) in events.iter().enumerate() {
                self.apply(conn, event)
                    .await
                    .map_err(|error| BatchError::at(index, error))?;
            }
            Ok(())
        }
    }
}
