//! The record of commands that wrote events, for idempotency by command id.
//!
//! A command's row goes into `command_log` in the same statement as its
//! events (see `append`), so the two can never disagree: if the row exists
//! the events exist, and a retry of the same command id can return the first
//! outcome instead of acting again.

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
    /// Sequence of its first event.
    pub first_sequence: i64,
    /// Sequence of its last event.
    pub last_sequence: i64,
    /// When it was committed.
    pub created_at: DateTime<Utc>,
}

/// The logged command with this id, if it wrote events.
pub async fn find_command<'e>(
    executor: impl PgExecutor<'e>,
    command_id: Uuid,
) -> Result<Option<LoggedCommand>> {
    Ok(sqlx::query_as(
        "select command_id, aggregate_type, aggregate_id, command_type, body_hash, \
                first_sequence, last_sequence, created_at \
           from command_log where command_id = $1",
    )
    .bind(command_id)
    .fetch_optional(executor)
    .await?)
}
