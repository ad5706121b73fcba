//! cqrs-es's `PersistedEventRepository` over the same tables, for code that
//! uses cqrs-es's own `PersistedEventStore` in event-sourced mode or its
//! replay machinery.
//!
//! It fixes postgres-es's traps: a batch is one statement; only a stream key
//! violation is an optimistic-lock conflict; replay streams report database
//! errors instead of panicking and ending silently. Snapshot updates through
//! this trait are refused: cqrs-es hands the repository a snapshot of only
//! part of a commit without saying which part, so no repository can store it
//! correctly. Use [`crate::PgEventStore`] for snapshots.

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayFeed, ReplayStream, SerializedEvent,
    SerializedSnapshot,
};
use cqrs_es::Aggregate;
use futures::TryStreamExt;
use serde_json::Value;
use sqlx::PgPool;

use crate::append::Batch;
use crate::error::Error;
use crate::recorded::{read_stream, RecordedEvent, COLUMNS};
use crate::snapshot;

/// Replay streams buffer this many events ahead of their consumer.
const REPLAY_BUFFER: usize = 256;

/// A `PersistedEventRepository` over Bazaar's event store.
#[derive(Debug, Clone)]
pub struct PgEventRepository {
    pool: PgPool,
}

impl PgEventRepository {
    /// A repository over `pool`.
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    async fn events_after(
        &self,
        aggregate_type: &str,
        aggregate_id: &str,
        after: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let events = read_stream(&self.pool, aggregate_type, aggregate_id, after).await?;
        Ok(events.into_iter().map(SerializedEvent::from).collect())
    }

    fn replay(
        &self,
        sql: String,
        aggregate_type: &str,
        aggregate_id: Option<&str>,
    ) -> ReplayStream {
        let (feed, stream) = ReplayStream::new(REPLAY_BUFFER);
        let pool = self.pool.clone();
        let (aggregate_type, aggregate_id) =
            (aggregate_type.to_owned(), aggregate_id.map(str::to_owned));
        tokio::spawn(async move {
            feed_replay(feed, pool, sql, aggregate_type, aggregate_id).await;
        });
        stream
    }
}

async fn feed_replay(
    mut feed: ReplayFeed,
    pool: PgPool,
    sql: String,
    aggregate_type: String,
    aggregate_id: Option<String>,
) {
    let mut query = sqlx::query(&sql).bind(&aggregate_type);
    if let Some(id) = &aggregate_id {
        query = query.bind(id);
    }
    let mut rows = query.fetch(&pool);
    loop {
        let item = match rows.try_next().await {
            Ok(Some(row)) => RecordedEvent::from_row(&row).map(SerializedEvent::from),
            Ok(None) => return,
            Err(error) => Err(Error::from(error)),
        };
        let failed = item.is_err();
        if feed
            .push(item.map_err(PersistenceError::from))
            .await
            .is_err()
            || failed
        {
            // the consumer went away, or it has been told of the error
            return;
        }
    }
}

impl PersistedEventRepository for PgEventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.events_after(A::TYPE, aggregate_id, 0).await
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        self.events_after(A::TYPE, aggregate_id, last_sequence)
            .await
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        let found = snapshot::load(&self.pool, A::TYPE, aggregate_id).await?;
        Ok(found.map(|s| SerializedSnapshot {
            aggregate_id: aggregate_id.to_owned(),
            aggregate: s.payload,
            current_sequence: usize::try_from(s.last_sequence).unwrap_or_default(),
            current_snapshot: usize::try_from(s.current_snapshot).unwrap_or_default(),
        }))
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        if snapshot_update.is_some() {
            return Err(PersistenceError::UnknownError(
                "snapshots through PersistedEventRepository are refused: use PgEventStore".into(),
            ));
        }
        if events.is_empty() {
            return Ok(());
        }
        Batch::prepare(events)?.insert(&self.pool).await?;
        Ok(())
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        let sql = format!(
            "select {COLUMNS} from events where aggregate_type = $1 and aggregate_id = $2 order by sequence"
        );
        Ok(self.replay(sql, A::TYPE, Some(aggregate_id)))
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        let sql = format!(
            "select {COLUMNS} from events where aggregate_type = $1 \
             order by events.tx_id, events.global_position"
        );
        Ok(self.replay(sql, A::TYPE, None))
    }
}
