//! An event as stored, with everything the log knows about it.

use chrono::{DateTime, Utc};
use cqrs_es::persist::SerializedEvent;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::Row;
use uuid::Uuid;

use crate::append::parse_xid8;
use crate::error::Result;
use crate::position::Position;
use crate::provenance::Provenance;
use crate::stored_json::StoredJson;

/// The columns every read selects, in the order [`RecordedEvent::from_row`]
/// expects. Its text alias `tx_id` shadows the column in `ORDER BY` (an
/// output name wins over an input name there): order by `events.tx_id`,
/// or "10" sorts before "9".
pub const COLUMNS: &str = "aggregate_type, aggregate_id, sequence, event_type, \
     event_version, payload, metadata, global_position, tx_id::text as tx_id, recorded_at, event_id";

/// One stored event with its position, id and recorded time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedEvent {
    /// Where the event sits in the commit-ordered log.
    pub position: Position,
    /// The event's unique id (UUIDv7); consumers deduplicate by it.
    pub event_id: Uuid,
    /// The aggregate type, e.g. `Order`.
    pub aggregate_type: String,
    /// The aggregate instance.
    pub aggregate_id: String,
    /// 1-based sequence within the stream.
    pub sequence: i64,
    /// The event's type name, e.g. `OrderPlaced`.
    pub event_type: String,
    /// The payload's schema version, used by upcasters.
    pub event_version: String,
    /// The event itself, as stored: decode it with [`StoredJson::decode`].
    pub payload: StoredJson,
    /// Command id, correlation id, causation id, actor and event id, as
    /// stored; [`RecordedEvent::provenance`] reads the fields readers use.
    pub metadata: StoredJson,
    /// The database clock when the event was inserted.
    pub recorded_at: DateTime<Utc>,
}

impl RecordedEvent {
    /// The event in `row`, selected with [`COLUMNS`].
    pub fn from_row(row: &PgRow) -> Result<Self> {
        let tx_id: String = row.try_get("tx_id")?;
        Ok(Self {
            position: Position::new(parse_xid8(&tx_id)?, row.try_get("global_position")?),
            event_id: row.try_get("event_id")?,
            aggregate_type: row.try_get("aggregate_type")?,
            aggregate_id: row.try_get("aggregate_id")?,
            sequence: row.try_get("sequence")?,
            event_type: row.try_get("event_type")?,
            event_version: row.try_get("event_version")?,
            payload: row.try_get("payload")?,
            metadata: row.try_get("metadata")?,
            recorded_at: row.try_get("recorded_at")?,
        })
    }

    /// The string fields of the metadata readers use; all absent when the
    /// metadata is not an object.
    pub fn provenance(&self) -> Provenance {
        self.metadata.decode().unwrap_or_default()
    }
}

impl From<RecordedEvent> for SerializedEvent {
    fn from(event: RecordedEvent) -> Self {
        Self {
            aggregate_id: event.aggregate_id,
            // sequences are checked >= 1 by the table
            sequence: usize::try_from(event.sequence).unwrap_or_default(),
            aggregate_type: event.aggregate_type,
            event_type: event.event_type,
            event_version: event.event_version,
            // the aggregate's load runs the upcasters over the tree
            payload: event.payload.to_value(),
            metadata: event.metadata.to_value(),
        }
    }
}

/// The events of one stream after sequence `after`, in sequence order.
pub async fn read_stream<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    after: i64,
) -> Result<Vec<RecordedEvent>> {
    let sql = format!(
        "select {COLUMNS} from events \
          where aggregate_type = $1 and aggregate_id = $2 and sequence > $3 \
          order by sequence"
    );
    let rows = sqlx::query(&sql)
        .bind(aggregate_type)
        .bind(aggregate_id)
        .bind(after)
        .fetch_all(executor)
        .await?;
    rows.iter().map(RecordedEvent::from_row).collect()
}
