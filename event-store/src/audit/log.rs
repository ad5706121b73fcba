//! The global log for auditors: every event in commit order, paged by a
//! cursor that stays valid while others append, with filters.
//!
//! A page holds only events of transactions older than the oldest one still
//! running, in `(tx_id, global_position)` order, exactly as
//! [`crate::reader`] reads for projectors: every event that can still
//! commit sorts after the last one returned, so resuming from a cursor
//! never misses an event and never repeats one. (Paging by
//! `global_position` alone would not be stable: positions are taken at
//! insert, and a lower one can commit after a higher one was read.)

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use super::error::{AuditError, Result};
use super::event::{AuditEvent, SELECT};
use crate::position::Position;

/// Events per page when the request names no limit.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most events one page may hold.
pub const MAX_LIMIT: u32 = 1_000;

/// Which events of the log to return; every field narrows the selection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFilter {
    /// Only this stored aggregate type, e.g. `Escrow`.
    #[serde(default)]
    pub aggregate_type: Option<String>,
    /// Only this event type, e.g. `PaymentConfirmed`.
    #[serde(default)]
    pub event_type: Option<String>,
    /// Only events recorded at or after this instant.
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded before this instant.
    #[serde(default)]
    pub to: Option<DateTime<Utc>>,
    /// Only events of this business flow (e.g. one checkout, across all its
    /// aggregates).
    #[serde(default)]
    pub correlation_id: Option<Uuid>,
}

/// Where a page starts and how long it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The `next` cursor of the previous page; none: the start of the log.
    #[serde(default)]
    pub after: Option<Cursor>,
    /// Events per page (default 100, at most 1,000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// One page of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogPage {
    /// Matching events in commit order.
    pub events: Vec<AuditEvent>,
    /// Where the next page starts; the request's own cursor if this page is
    /// empty. Asking again later returns events committed since.
    pub next: Cursor,
    /// Whether the page is full, so more events may follow at once.
    pub more: bool,
}

/// A stable place in the commit-ordered log, written `TX.POSITION`
/// (transaction id, global position); treat it as opaque.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(pub Position);

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0.tx_id, self.0.global_position)
    }
}

impl FromStr for Cursor {
    type Err = AuditError;

    fn from_str(text: &str) -> Result<Self> {
        let bad = || AuditError::InvalidRequest(format!("cursor {text:?} is not TX.POSITION"));
        let (tx_id, position) = text.split_once('.').ok_or_else(bad)?;
        let tx_id = tx_id.parse().map_err(|_| bad())?;
        let position: i64 = position.parse().map_err(|_| bad())?;
        if position < 0 {
            return Err(bad());
        }
        Ok(Self(Position::new(tx_id, position)))
    }
}

impl Serialize for Cursor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The page size of `limit`, checked.
pub(crate) fn page_limit(limit: Option<u32>) -> Result<i64> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(i64::from(n)),
        n => Err(AuditError::InvalidRequest(format!(
            "limit {n} is not between 1 and {MAX_LIMIT}"
        ))),
    }
}

impl LogFilter {
    /// Refuses empty names and empty or inverted time ranges.
    pub fn check(&self) -> Result<()> {
        for (name, value) in [
            ("aggregate_type", &self.aggregate_type),
            ("event_type", &self.event_type),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(AuditError::InvalidRequest(format!("{name} is empty")));
            }
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from >= to {
                return Err(AuditError::InvalidRequest(format!(
                    "time range is empty: from {from} is not before to {to}"
                )));
            }
        }
        Ok(())
    }

    fn push_conditions(&self, query: &mut QueryBuilder<'_, Postgres>) {
        if let Some(aggregate_type) = &self.aggregate_type {
            query.push(" and e.aggregate_type = ");
            query.push_bind(aggregate_type.clone());
        }
        if let Some(event_type) = &self.event_type {
            query.push(" and e.event_type = ");
            query.push_bind(event_type.clone());
        }
        if let Some(from) = self.from {
            query.push(" and e.recorded_at >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            query.push(" and e.recorded_at < ").push_bind(to);
        }
        if let Some(correlation_id) = self.correlation_id {
            // the expression of index events_correlation_idx
            query.push(" and (e.metadata ->> 'correlation_id') = ");
            query.push_bind(correlation_id.to_string());
        }
    }
}

/// One page of the log after `page.after`, filtered by `filter`.
pub async fn read_log(pool: &PgPool, filter: &LogFilter, page: &PageRequest) -> Result<LogPage> {
    filter.check()?;
    let limit = page_limit(page.limit)?;
    let after = page.after.unwrap_or_default();
    let events = select_after(pool, filter, after.0, limit).await?;
    Ok(LogPage {
        next: events
            .last()
            .map_or(after, |e| Cursor(Position::new(e.tx_id, e.global_position))),
        more: events.len() as i64 == limit,
        events,
    })
}

/// Up to `limit` events matching `filter` after `after`, in commit order,
/// below the commit horizon.
pub(crate) async fn select_after(
    pool: &PgPool,
    filter: &LogFilter,
    after: Position,
    limit: i64,
) -> Result<Vec<AuditEvent>> {
    let mut query = QueryBuilder::new(SELECT);
    query.push(
        " where e.tx_id < pg_snapshot_xmin(pg_current_snapshot()) \
            and (e.tx_id, e.global_position) > (",
    );
    query.push_bind(after.tx_id.to_string());
    query.push("::text::xid8, ");
    query.push_bind(after.global_position);
    query.push(")");
    filter.push_conditions(&mut query);
    query.push(" order by e.tx_id, e.global_position limit ");
    query.push_bind(limit);
    let rows = query.build().fetch_all(pool).await?;
    rows.iter().map(AuditEvent::from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let cursor = Cursor(Position::new(812, 40_001));
        assert_eq!(cursor.to_string(), "812.40001");
        assert_eq!("812.40001".parse::<Cursor>().unwrap(), cursor);
        let json = serde_json::to_string(&cursor).unwrap();
        assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), cursor);
        for bad in ["", "812", "a.1", "1.b", "1.-5", "-1.5", "1.2.3"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn limits_and_ranges_are_checked() {
        assert_eq!(page_limit(None).unwrap(), 100);
        assert!(page_limit(Some(0)).is_err() && page_limit(Some(1_001)).is_err());
        let now = Utc::now();
        let inverted = LogFilter {
            from: Some(now),
            to: Some(now),
            ..LogFilter::default()
        };
        assert!(inverted.check().is_err());
        let empty_type = LogFilter {
            event_type: Some(" ".into()),
            ..LogFilter::default()
        };
        assert!(empty_type.check().is_err());
    }
}
