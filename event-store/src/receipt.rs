//! Receipts: the answer a caller is replayed for a command, committed in
//! the same transaction as the command's events.
//!
//! The HTTP API keeps the first response to each `Idempotency-Key` (the
//! `api_idempotency` table: a key is claimed `in_flight` under a lease
//! before its request runs, and completed with the response). A command
//! that appends events carries its response here as a [`Receipt`], and the
//! append completes the key in its own transaction (the group commit's
//! statement, or the single append's transaction), so the key is done
//! exactly when the events are: no separate round trip after the commit,
//! and never a stored answer for a command that was not applied.
//!
//! Why it is safe:
//! - The write names the lease the request claimed (principal, key and
//!   `lease_until` must all match a row still `in_flight`), like every
//!   other write of a key, so it never touches a key a retry has taken
//!   over after the lease lapsed. If the lease was lost it matches no row:
//!   the command still commits (an update of no rows is no error), and the
//!   retry that holds the key now gets the right answer anyway, because
//!   the command id is derived from the key and the command log replays
//!   the first outcome.
//! - The body's position (the command's last event) is known only inside
//!   the statement, so a receipt carries its body as the text before and
//!   after it, and the statement writes the position between them as
//!   [`position_token`] renders it.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::position::Position;

/// A response to store with a command's events, for the key it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Whose key it is.
    pub principal: String,
    /// The `Idempotency-Key`.
    pub key: String,
    /// The lease the request claimed; the key is completed only while the
    /// row still holds it.
    pub lease_until: DateTime<Utc>,
    /// The response's status code.
    pub status: i32,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its `Location`.
    pub location: Option<String>,
    /// The body up to the position of the command's last event.
    pub body_head: Vec<u8>,
    /// The body after that position.
    pub body_tail: Vec<u8>,
}

impl Receipt {
    /// The whole body, with the command's last event at `position`.
    pub fn body(&self, position: Position) -> Vec<u8> {
        let token = position_token(position);
        [&self.body_head, token.as_bytes(), &self.body_tail].concat()
    }
}

/// `"<tx_id>-<global_position>"`: a position as responses carry it (the
/// group commit's statement writes the same text in SQL).
pub fn position_token(position: Position) -> String {
    format!("{}-{}", position.tx_id, position.global_position)
}

/// Completes the receipt's key with its response, if the key still holds
/// the receipt's lease; the body's position is `position`. Used by a
/// single append inside its transaction; the group commit does the same
/// in its statement.
pub(crate) async fn complete<'e>(
    executor: impl PgExecutor<'e>,
    receipt: &Receipt,
    position: Position,
) -> sqlx::Result<()> {
    sqlx::query(
        "update api_idempotency set state = 'done', response_status = $4, \
                response_type = $5, response_location = $6, response_body = $7, \
                completed_at = now() \
          where principal = $1 and idempotency_key = $2 \
            and state = 'in_flight' and lease_until = $3",
    )
    .bind(&receipt.principal)
    .bind(&receipt.key)
    .bind(receipt.lease_until)
    .bind(receipt.status)
    .bind(receipt.content_type.as_deref())
    .bind(receipt.location.as_deref())
    .bind(receipt.body(position))
    .execute(executor)
    .await?;
    Ok(())
}
