//! The record of commands that wrote events, for idempotency by command id.
//!
//! A command's row goes into `command_log` in the same statement as its
//! events (see `append`), so the two can never disagree: if the row exists
//! the events exist, and a retry of the same command id can return the first
//! outcome instead of acting again. Commands that wrote nothing (rejected,
//! or accepted without change) are logged by [`log_unwritten`], so their
//! first outcome is kept too.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::Result;

/// What is recorded about a command when its events are appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRecord {
    /// The command's id (the idempotency key).
    pub command_id: Uuid,
    /// The command's name, e.g. `PlaceOrder`.
    pub command_type: String,
    /// sha256 of the command's canonical body.
    pub body_hash: Vec<u8>,
}

/// A command found in the log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoggedCommand {
    /// The command's id.
    pub command_id: Uuid,
    /// The stream it wrote to.
    pub aggregate_type: String,
    /// The stream it wrote to.
    pub aggregate_id: String,
    /// The command's name.
    pub command_type: String,
    /// sha256 of its body.
    pub body_hash: Vec<u8>,
    /// `applied`, `rejected` or `unchanged`.
    pub outcome: String,
    /// The aggregate's error, for a rejected command.
    pub rejection: Option<serde_json::Value>,
    /// Sequence of its first event, if it wrote any.
    pub first_sequence: Option<i64>,
    /// Sequence of its last event, if it wrote any.
    pub last_sequence: Option<i64>,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
}

/// The logged command with this id, if it wrote events.
pub async fn find_command<'e>(
    executor: impl PgExecutor<'e>,
    command_id: Uuid,
) -> Result<Option<LoggedCommand>> {
    Ok(sqlx::query_as(
        "select command_id, aggregate_type, aggregate_id, command_type, body_hash, outcome, \
                rejection, first_sequence, last_sequence, created_at \
           from command_log where command_id = $1",
    )
    .bind(command_id)
    .fetch_optional(executor)
    .await?)
}

/// A decision that wrote no events.
#[derive(Debug, Clone, PartialEq)]
pub enum Unwritten {
    /// The aggregate refused the command; its error as JSON.
    Rejected(serde_json::Value),
    /// The command was accepted and changed nothing.
    Unchanged,
}

/// Logs the outcome of a command that wrote no events, unless the id is
/// logged already; returns whether this call logged it.
pub async fn log_unwritten<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    record: &CommandRecord,
    outcome: &Unwritten,
) -> Result<bool> {
    let (name, rejection) = match outcome {
        Unwritten::Rejected(error) => ("rejected", Some(error)),
        Unwritten::Unchanged => ("unchanged", None),
    };
    let inserted = sqlx::query(
        "insert into command_log (command_id, aggregate_type, aggregate_id, command_type, body_hash, \
                                  outcome, rejection) \
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (command_id) do nothing",
    )
    .bind(record.command_id)
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(&record.command_type)
    .bind(&record.body_hash)
    .bind(name)
    .bind(rejection)
    .execute(executor)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// What [`log_unwritten_at`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logged {
    /// This call logged the outcome.
    Logged,
    /// The command id was logged before; look its outcome up.
    Taken,
    /// The stream moved past the sequence the decision was made at:
    /// nothing was logged; decide again on the current state.
    Stale,
}

/// [`log_unwritten`] for a decision made on the stream at `sequence`: logs
/// only if the stream is still there, in the same statement, so a decision
/// made on an aggregate kept in memory is never logged after the stream
/// moved on (another process wrote to it).
pub async fn log_unwritten_at<'e>(
    executor: impl PgExecutor<'e>,
    aggregate_type: &str,
    aggregate_id: &str,
    sequence: i64,
    record: &CommandRecord,
    outcome: &Unwritten,
) -> Result<Logged> {
    let (name, rejection) = match outcome {
        Unwritten::Rejected(error) => ("rejected", Some(error)),
        Unwritten::Unchanged => ("unchanged", None),
    };
    let (fresh, inserted): (bool, bool) = sqlx::query_as(
        "with stream as ( \
             select coalesce(max(sequence), 0) = $8 as fresh from events \
              where aggregate_type = $2 and aggregate_id = $3), \
         logged as ( \
             insert into command_log (command_id, aggregate_type, aggregate_id, command_type, \
                                      body_hash, outcome, rejection) \
             select $1, $2, $3, $4, $5, $6, $7 from stream where fresh \
             on conflict (command_id) do nothing returning 1) \
         select (select fresh from stream), exists (select 1 from logged)",
    )
    .bind(record.command_id)
    .bind(aggregate_type)
    .bind(aggregate_id)
    .bind(&record.command_type)
    .bind(&record.body_hash)
    .bind(name)
    .bind(rejection)
    .bind(sequence)
    .fetch_one(executor)
    .await?;
    Ok(match (fresh, inserted) {
        (_, true) => Logged::Logged,
        (true, false) => Logged::Taken,
        (false, false) => Logged::Stale,
    })
}
