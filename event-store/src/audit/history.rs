//! A stream's full history with provenance, paged by sequence.
//!
//! A stream's sequence numbers have no gaps and a later one cannot commit
//! before an earlier one (the chain trigger needs the predecessor), so
//! paging by sequence is stable without the commit horizon.

use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::error::{AuditError, Result};
use super::event::{AuditEvent, SELECT};
use super::log::page_limit;

/// Which stream, and which page of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryRequest {
    /// The stored aggregate type, e.g. `Order`.
    pub aggregate_type: String,
    /// The aggregate id.
    pub aggregate_id: String,
    /// Return events after this sequence (0: from the start).
    #[serde(default)]
    pub after_sequence: i64,
    /// Events per page (default 100, at most 1,000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One page of a stream's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    /// The stream's aggregate type.
    pub aggregate_type: String,
    /// The stream's aggregate id.
    pub aggregate_id: String,
    /// The events, in sequence order.
    pub events: Vec<AuditEvent>,
    /// Pass as `after_sequence` for the next page; `None` when this page
    /// reached the end of the stream as it is now.
    pub next_after_sequence: Option<i64>,
}

/// One page of the events of a stream, oldest first. A stream without any
/// event is [`AuditError::StreamNotFound`].
pub async fn stream_history(pool: &PgPool, request: &HistoryRequest) -> Result<HistoryPage> {
    let limit = page_limit(request.limit)?;
    if request.after_sequence < 0 {
        return Err(AuditError::InvalidRequest(
            "after_sequence must be >= 0".into(),
        ));
    }
    let sql = format!(
        "{SELECT} where e.aggregate_type = $1 and e.aggregate_id = $2 and e.sequence > $3 \
          order by e.sequence limit $4"
    );
    let rows = sqlx::query(&sql)
        .bind(&request.aggregate_type)
        .bind(&request.aggregate_id)
        .bind(request.after_sequence)
        .bind(limit + 1)
        .fetch_all(pool)
        .await?;
    let mut events = rows
        .iter()
        .map(AuditEvent::from_row)
        .collect::<Result<Vec<_>>>()?;
    let more = events.len() as i64 > limit;
    events.truncate(limit as usize);
    if events.is_empty() && !stream_exists(pool, request).await? {
        return Err(AuditError::StreamNotFound {
            aggregate_type: request.aggregate_type.clone(),
            aggregate_id: request.aggregate_id.clone(),
        });
    }
    Ok(HistoryPage {
        aggregate_type: request.aggregate_type.clone(),
        aggregate_id: request.aggregate_id.clone(),
        next_after_sequence: events.last().filter(|_| more).map(|e| e.sequence),
        events,
    })
}

async fn stream_exists(pool: &PgPool, request: &HistoryRequest) -> Result<bool> {
    Ok(sqlx::query_scalar(
        "select exists (select 1 from events where aggregate_type = $1 and aggregate_id = $2)",
    )
    .bind(&request.aggregate_type)
    .bind(&request.aggregate_id)
    .fetch_one(pool)
    .await?)
}
