//! Exports for offline analysis: one stream, one correlation id or a time
//! range as NDJSON, one [`AuditEvent`] per line, streamed page by page so
//! no export has to fit in memory.
//!
//! Log selections are read in commit order below the commit horizon, page
//! by page from a [`super::log::Cursor`]: an export started while others
//! append holds every event committed before it started, never a
//! half-committed transaction, and each event once.
//!
//! Each line carries the event's hash and its predecessor's, with payload
//! and metadata byte for byte as stored, so [`verify_export`] can
//! recompute every hash from the file alone.

use std::collections::HashMap;
use std::io::BufRead;

use futures::{Stream, TryStreamExt};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

use super::error::{AuditError, Result};
use super::event::AuditEvent;
use super::history::{stream_history, HistoryRequest};
use super::log::{select_after, LogFilter, MAX_LIMIT};
use crate::position::Position;

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportSelection {
    /// Every event of one stream, in sequence order.
    Stream {
        /// The stored aggregate type.
        aggregate_type: String,
        /// The aggregate id.
        aggregate_id: String,
    },
    /// The log's events matching a filter (a correlation id, a time range,
    /// an aggregate or event type), in commit order.
    Log(LogFilter),
}

/// Where an export has got to.
enum Next {
    Stream(i64),
    Log(Position),
    Done,
}

/// The export as chunks of whole NDJSON lines (one page of events each),
/// to write to a file or an HTTP body as they come.
pub fn export_ndjson(
    pool: PgPool,
    selection: ExportSelection,
) -> impl Stream<Item = Result<String>> + Send + 'static {
    let start = match &selection {
        ExportSelection::Stream { .. } => Next::Stream(0),
        ExportSelection::Log(_) => Next::Log(Position::START),
    };
    futures::stream::try_unfold(start, move |next| {
        let pool = pool.clone();
        let selection = selection.clone();
        async move {
            let (events, next) = match next {
                Next::Done => return Ok(None),
                Next::Stream(after) => stream_page(&pool, &selection, after).await?,
                Next::Log(after) => log_page(&pool, &selection, after).await?,
            };
            if events.is_empty() {
                return Ok(None);
            }
            Ok(Some((lines(&events)?, next)))
        }
    })
}

async fn stream_page(
    pool: &PgPool,
    selection: &ExportSelection,
    after: i64,
) -> Result<(Vec<AuditEvent>, Next)> {
    let ExportSelection::Stream {
        aggregate_type,
        aggregate_id,
    } = selection
    else {
        return Ok((Vec::new(), Next::Done));
    };
    let request = HistoryRequest {
        aggregate_type: aggregate_type.clone(),
        aggregate_id: aggregate_id.clone(),
        after_sequence: after,
        limit: Some(MAX_LIMIT),
    };
    let page = stream_history(pool, &request).await?;
    let next = page.next_after_sequence.map_or(Next::Done, Next::Stream);
    Ok((page.events, next))
}

async fn log_page(
    pool: &PgPool,
    selection: &ExportSelection,
    after: Position,
) -> Result<(Vec<AuditEvent>, Next)> {
    let ExportSelection::Log(filter) = selection else {
        return Ok((Vec::new(), Next::Done));
    };
    if after == Position::START {
        filter.check()?;
    }
    let events = select_after(pool, filter, after, i64::from(MAX_LIMIT)).await?;
    let next = match events.last() {
        Some(last) if events.len() == MAX_LIMIT as usize => {
            Next::Log(Position::new(last.tx_id, last.global_position))
        }
        _ => Next::Done,
    };
    Ok((events, next))
}

fn lines(events: &[AuditEvent]) -> Result<String> {
    let mut chunk = String::with_capacity(events.len() * 1_024);
    for event in events {
        chunk.push_str(&serde_json::to_string(event)?);
        chunk.push('\n');
    }
    Ok(chunk)
}

/// Collects a whole export into memory: for tests and small exports.
pub async fn export_to_string(pool: PgPool, selection: ExportSelection) -> Result<String> {
    export_ndjson(pool, selection).try_collect().await
}

/// What an offline check of an export found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCheck {
    /// Lines (events) read.
    pub events: u64,
    /// Distinct streams among them.
    pub streams: u64,
    /// Consecutive events of a stream whose link (`previous_hash` = the
    /// earlier one's `hash`) was checked.
    pub links: u64,
    /// Events whose stream's previous event is not in the export (the
    /// first event of a stream is not counted unless its sequence is above
    /// 1). Expected in a correlation or time-range export, where streams
    /// are shared; a whole stream's export has none.
    pub gaps: u64,
    /// The first problem, with its line number; none: every hash holds.
    pub problem: Option<String>,
}

/// Recomputes every event's hash in an NDJSON export and checks the links
/// between consecutive events of a stream; needs no database.
pub fn verify_export(reader: impl BufRead) -> Result<ExportCheck> {
    let mut check = ExportCheck::default();
    let mut last: HashMap<(String, String), (i64, String)> = HashMap::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| bad(n, &e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent = serde_json::from_str(&line).map_err(|e| bad(n, &e.to_string()))?;
        check.events += 1;
        if let Some(problem) = problem_of(&event, &mut last, &mut check) {
            check.problem = Some(format!("line {}: {}", n + 1, event.describe(&problem)));
            break;
        }
    }
    check.streams = last.len() as u64;
    Ok(check)
}

fn problem_of(
    event: &AuditEvent,
    last: &mut HashMap<(String, String), (i64, String)>,
    check: &mut ExportCheck,
) -> Option<String> {
    if !event.hash_holds() {
        return Some("hash is not the hash of the exported event".into());
    }
    let key = (event.aggregate_type.clone(), event.aggregate_id.clone());
    let previous = last.insert(key, (event.sequence, event.hash.clone()));
    match previous {
        Some((sequence, _)) if sequence >= event.sequence => {
            Some(format!("comes after sequence {sequence} of its stream"))
        }
        Some((sequence, hash)) if sequence + 1 == event.sequence => {
            check.links += 1;
            (event.previous_hash.as_deref() != Some(hash.as_str()))
                .then(|| format!("does not link to sequence {sequence}"))
        }
        Some(_) => {
            check.gaps += 1;
            None
        }
        None => {
            check.gaps += u64::from(event.sequence > 1);
            None
        }
    }
}

fn bad(line: usize, reason: &str) -> AuditError {
    AuditError::InvalidFile {
        what: "export",
        reason: format!("line {}: {reason}", line + 1),
    }
}
