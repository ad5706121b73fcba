//! What an aggregate looked like at a moment: its stream folded, through the
//! store's upcasters and the aggregate's own `apply`, up to a sequence
//! number or an instant.
//!
//! Snapshots are not used: a snapshot holds the state after its last
//! event, and an auditor asks about earlier moments; folding from the first
//! event also does not trust stored snapshots. Events are streamed, so a
//! long stream does not have to fit in memory.
//!
//! "As of instant T" folds the events *recorded* at or before T, stopping at
//! the first one recorded later, so the result is always a prefix of the
//! stream even if the database clock stepped back. An event is recorded at
//! insert and becomes visible at commit, usually microseconds later.

use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use futures::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::error::{AuditError, Result};
use crate::recorded::{RecordedEvent, COLUMNS};
use crate::store::PgEventStore;

/// Which aggregate, as of when: at most one of `sequence` and `at`; neither
/// means its latest state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateRequest {
    /// The aggregate type's name (see `bazaar_commands::audit` for the
    /// names accepted).
    pub aggregate_type: String,
    /// The aggregate id.
    pub aggregate_id: String,
    /// Fold events up to and including this sequence number.
    #[serde(default)]
    pub sequence: Option<i64>,
    /// Fold events recorded at or before this instant.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}

/// Up to where a stream is folded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateBound {
    /// Every event.
    Latest,
    /// Events up to and including this sequence number (>= 0).
    Sequence(i64),
    /// Events recorded at or before this instant.
    At(DateTime<Utc>),
}

impl StateRequest {
    /// The bound the request asks for; both a sequence and an instant, or a
    /// negative sequence, is a bad request.
    pub fn bound(&self) -> Result<StateBound> {
        match (self.sequence, self.at) {
            (Some(_), Some(_)) => Err(AuditError::InvalidRequest(
                "give a sequence or an instant, not both".into(),
            )),
            (Some(n), None) if n < 0 => Err(AuditError::InvalidRequest(format!(
                "sequence {n} is negative"
            ))),
            (Some(n), None) => Ok(StateBound::Sequence(n)),
            (None, Some(at)) => Ok(StateBound::At(at)),
            (None, None) => Ok(StateBound::Latest),
        }
    }
}

/// An aggregate's state as of a bound, as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateState {
    /// The stored aggregate type, e.g. `InventoryReservation`.
    pub aggregate_type: String,
    /// The aggregate id.
    pub aggregate_id: String,
    /// The bound asked for.
    pub bound: StateBound,
    /// Sequence of the last event folded (0: none was, the aggregate did not
    /// exist yet).
    pub sequence: i64,
    /// Global position of the last event folded.
    pub global_position: Option<i64>,
    /// When the last event folded was recorded: the state holds from then
    /// until the next event.
    pub recorded_at: Option<DateTime<Utc>>,
    /// How many events the stream has now.
    pub stream_length: i64,
    /// The aggregate, serialised as the store snapshots it; `null` when no
    /// event was folded.
    pub state: serde_json::Value,
}

/// Where the last folded event sits.
#[derive(Debug, Clone, Copy)]
struct Folded {
    sequence: i64,
    global_position: i64,
    recorded_at: DateTime<Utc>,
}

impl<A: Aggregate> PgEventStore<A> {
    /// Folds `aggregate_id`'s events up to `bound`. A stream without events
    /// is [`AuditError::StreamNotFound`].
    pub async fn state_as_of(
        &self,
        aggregate_id: &str,
        bound: StateBound,
    ) -> Result<AggregateState> {
        let stream_length = self.stream_length(aggregate_id).await?;
        if stream_length == 0 {
            return Err(AuditError::StreamNotFound {
                aggregate_type: A::TYPE.to_owned(),
                aggregate_id: aggregate_id.to_owned(),
            });
        }
        let (aggregate, last) = self.fold(aggregate_id, bound).await?;
        Ok(AggregateState {
            aggregate_type: A::TYPE.to_owned(),
            aggregate_id: aggregate_id.to_owned(),
            bound,
            sequence: last.map_or(0, |e| e.sequence),
            global_position: last.map(|e| e.global_position),
            recorded_at: last.map(|e| e.recorded_at),
            stream_length,
            state: match last {
                Some(_) => serde_json::to_value(&aggregate)?,
                None => serde_json::Value::Null,
            },
        })
    }

    async fn stream_length(&self, aggregate_id: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "select coalesce(max(sequence), 0) from events \
              where aggregate_type = $1 and aggregate_id = $2",
        )
        .bind(A::TYPE)
        .bind(aggregate_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The aggregate after the events within `bound`, and the last of them.
    async fn fold(&self, aggregate_id: &str, bound: StateBound) -> Result<(A, Option<Folded>)> {
        let through = match bound {
            StateBound::Sequence(n) => n,
            StateBound::Latest | StateBound::At(_) => i64::MAX,
        };
        let sql = format!(
            "select {COLUMNS} from events \
              where aggregate_type = $1 and aggregate_id = $2 and sequence <= $3 \
              order by sequence"
        );
        let mut rows = sqlx::query(&sql)
            .bind(A::TYPE)
            .bind(aggregate_id)
            .bind(through)
            .fetch(self.pool());
        let mut aggregate = A::default();
        let mut last = None;
        while let Some(row) = rows.try_next().await? {
            let event = RecordedEvent::from_row(&row)?;
            if matches!(bound, StateBound::At(at) if event.recorded_at > at) {
                break;
            }
            last = Some(Folded {
                sequence: event.sequence,
                global_position: event.position.global_position,
                recorded_at: event.recorded_at,
            });
            let envelope = self.deserialize_recorded(event)?;
            aggregate.apply(envelope.payload);
        }
        Ok((aggregate, last))
    }
}
