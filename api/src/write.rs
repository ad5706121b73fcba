//! Running one command from an HTTP request: who asks, under which ids,
//! and what the client gets back.
//!
//! The command id is derived from the principal and its `Idempotency-Key`
//! when there is one (so even a retry the HTTP layer could not match — a
//! lost response store, a lapsed lease — is matched by the event store's
//! command log and runs once), or fresh otherwise. Ids of new aggregates
//! (an order, an escrow) are derived the same way, so a retried checkout
//! lands on the same order. The response carries the position of the
//! command's last event: pass it as `min_position` to a query to read
//! your own write.
//!
//! With a key, a command that appends events commits the response it is
//! about to give with them (a receipt for the key the request holds, see
//! [`idempotency::Lease`]): [`run`] and [`create`] build that receipt from
//! the outcome the command will have, and answer with exactly the body it
//! stores. [`create`] also tells the executor the stream is new (its id
//! comes from [`CommandRequest::new_id`]), so a keyed creation decides
//! without loading: its round trips are the key's claim and the group
//! commit.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bazaar_commands::{CommandError, Executor, Options, Outcome, ReceiptOf};
use bazaar_event_store::trace_context::TraceParent;
use bazaar_event_store::{receipt, EventMetadata, Position};
use chrono::{DateTime, Utc};
use cqrs_es::Aggregate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::auth::Principal;
use crate::http::idempotency::{self, Lease};
use crate::http::metrics;
use crate::http::problem::Problem;

pub mod rejections;

pub use rejections::Rejection;

/// Namespace of ids derived from idempotency keys.
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_62f5_3b0e_4f7d_9d4e_5b7f_0c2a_9e11);
/// Request header naming the business flow a command belongs to.
pub const CORRELATION_HEADER: &str = "x-correlation-id";

/// Everything about a command request except its body.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    /// The caller.
    pub principal: Principal,
    /// Its `Idempotency-Key`, if any.
    pub key: Option<String>,
    /// The flow it belongs to (`X-Correlation-Id`), or the command itself.
    pub correlation_id: Option<Uuid>,
    /// When the API received it: the `at` of the command.
    pub received_at: DateTime<Utc>,
    /// The request's trace context (`crate::http::trace`), for the events.
    pub trace: Option<TraceParent>,
    /// The idempotency key this request holds, if it has one.
    pub lease: Option<Arc<Lease>>,
}

impl<S: Send + Sync> FromRequestParts<S> for CommandRequest {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let principal = Principal::from_request_parts(parts, state).await?;
        principal.require_writer()?;
        let text = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let correlation_id = text(CORRELATION_HEADER)
            .map(|value| {
                Uuid::parse_str(value).map_err(|_| {
                    Problem::bad_request(
                        "invalid-correlation-id",
                        "X-Correlation-Id must be a UUID",
                    )
                })
            })
            .transpose()?;
        Ok(Self {
            principal,
            key: text(idempotency::HEADER).map(str::to_owned),
            correlation_id,
            received_at: Utc::now(),
            trace: parts.extensions.get::<TraceParent>().copied(),
            lease: parts.extensions.get::<Arc<Lease>>().cloned(),
        })
    }
}

impl CommandRequest {
    /// The command's id: derived from the idempotency key, or fresh.
    pub fn command_id(&self) -> Uuid {
        self.derived("command").unwrap_or_else(Uuid::now_v7)
    }

    /// The id of an aggregate this request creates.
    pub fn new_id(&self, kind: &str) -> String {
        self.derived(kind).unwrap_or_else(Uuid::now_v7).to_string()
    }

    fn derived(&self, kind: &str) -> Option<Uuid> {
        let key = self.key.as_deref()?;
        let name = format!("{kind}\n{}\n{key}", self.principal.actor());
        Some(Uuid::new_v5(&KEY_NAMESPACE, name.as_bytes()))
    }

    /// The events' metadata.
    pub fn metadata(&self) -> EventMetadata {
        let command_id = self.command_id();
        EventMetadata {
            command_id,
            correlation_id: self.correlation_id.unwrap_or(command_id),
            causation_id: command_id,
            actor: self.principal.actor(),
            traceparent: self.trace.map(|t| t.to_string()),
        }
    }
}

/// What a command did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// The command's id (also in every event's metadata).
    pub command_id: Uuid,
    /// The aggregate it ran on.
    pub aggregate_id: String,
    /// Position of its last event, for `min_position` on queries; absent
    /// when the command changed nothing.
    pub position: Option<String>,
    /// Stream sequence of its first event.
    pub first_sequence: Option<i64>,
    /// Stream sequence of its last event.
    pub last_sequence: Option<i64>,
    /// Whether this is the stored outcome of an earlier run of this command.
    pub replayed: bool,
}

impl From<Outcome> for Accepted {
    fn from(outcome: Outcome) -> Self {
        Self {
            command_id: outcome.command_id,
            aggregate_id: outcome.aggregate_id,
            position: outcome.last_position.map(position_token),
            first_sequence: outcome.sequences.map(|s| s.0),
            last_sequence: outcome.sequences.map(|s| s.1),
            replayed: outcome.replayed,
        }
    }
}

/// `"<tx_id>-<global_position>"`: opaque to clients, ordered like the log.
pub fn position_token(position: Position) -> String {
    receipt::position_token(position)
}

/// The position a token names.
pub fn parse_position(token: &str) -> Result<Position, Problem> {
    let invalid = || {
        Problem::bad_request(
            "invalid-position",
            format!("{token:?} is not a position token"),
        )
    };
    let (tx, position) = token.split_once('-').ok_or_else(invalid)?;
    Ok(Position::new(
        tx.parse().map_err(|_| invalid())?,
        position.parse().map_err(|_| invalid())?,
    ))
}

/// Runs `command` on `aggregate_id` for `request`; 200 with [`Accepted`],
/// or the rejection as a problem.
pub async fn run<A>(
    executor: &Executor<A>,
    request: &CommandRequest,
    aggregate_id: &str,
    command: A::Command,
) -> Result<(StatusCode, Json<Accepted>), Problem>
where
    A: Aggregate,
    A::Command: Serialize + DeserializeOwned + Clone,
    A::Error: Rejection + DeserializeOwned,
{
    let reply = Reply {
        status: StatusCode::OK,
        location: None,
    };
    let accepted = execute(executor, request, aggregate_id, command, &reply).await?;
    Ok((StatusCode::OK, Json(accepted)))
}

/// Runs `command`, which creates the stream `aggregate_id` (an id from
/// [`CommandRequest::new_id`], so nobody else writes it: the command
/// decides without loading it); 201 with [`Accepted`] and `location`, or
/// the rejection as a problem.
pub async fn create<A>(
    executor: &Executor<A>,
    request: &CommandRequest,
    aggregate_id: &str,
    command: A::Command,
    location: String,
) -> Result<Response, Problem>
where
    A: Aggregate,
    A::Command: Serialize + DeserializeOwned + Clone,
    A::Error: Rejection + DeserializeOwned,
{
    let reply = Reply {
        status: StatusCode::CREATED,
        location: Some(location),
    };
    let accepted = execute(executor, request, aggregate_id, command, &reply).await?;
    let location = reply.location.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(accepted),
    )
        .into_response())
}

/// The response a successful command gets besides its body.
struct Reply {
    status: StatusCode,
    /// Set for a creation, which also skips the load.
    location: Option<String>,
}

async fn execute<A>(
    executor: &Executor<A>,
    request: &CommandRequest,
    aggregate_id: &str,
    command: A::Command,
    reply: &Reply,
) -> Result<Accepted, Problem>
where
    A: Aggregate,
    A::Command: Serialize + DeserializeOwned + Clone,
    A::Error: Rejection + DeserializeOwned,
{
    let name = command_name(&command);
    let metadata = request.metadata();
    let lease = request.lease.as_deref();
    // the response this command will give if it appends, stored with its
    // events for the key the request holds
    let receipt_of = lease.map(|lease| {
        move |outcome: &Outcome| {
            let body = body_around_position(outcome.clone().into());
            lease.receipt(reply.status, reply.location.as_deref(), body)
        }
    });
    let options = Options {
        // With a key, the HTTP layer has already checked that a retry is
        // the same request; its command differs only in `at`, so it is
        // matched by stream and command name like the saga's commands.
        derived: request.key.is_some(),
        creates: reply.location.is_some(),
        receipt: receipt_of.as_ref().map(|f| f as &ReceiptOf<'_>),
    };
    let result = executor
        .execute_with(aggregate_id, command, &metadata, options)
        .await;
    let outcome = match &result {
        Ok(outcome) if outcome.replayed => "replayed",
        Ok(_) => "applied",
        Err(CommandError::Rejected(_)) => "rejected",
        Err(_) => "failed",
    };
    metrics::command(A::TYPE, name, outcome);
    let outcome = result.map_err(problem_of)?;
    if let Some(lease) = lease {
        if !outcome.replayed && outcome.sequences.is_some() {
            // its events were appended, and the receipt with them
            lease.settled();
        }
    }
    Ok(outcome.into())
}

/// Marks where the position goes in a receipt's body: after it come only
/// numbers and a boolean, so its last occurrence is the position's.
const POSITION_MARK: &str = "position-of-the-last-event";

/// `accepted`'s JSON body, as `Json` writes it, before and after its
/// position.
fn body_around_position(mut accepted: Accepted) -> (Vec<u8>, Vec<u8>) {
    accepted.position = Some(POSITION_MARK.to_owned());
    let body = serde_json::to_vec(&accepted).expect("an Accepted always serialises");
    let at = body
        .windows(POSITION_MARK.len())
        .rposition(|w| w == POSITION_MARK.as_bytes())
        .expect("the mark is in the body");
    (
        body[..at].to_vec(),
        body[at + POSITION_MARK.len()..].to_vec(),
    )
}

fn command_name<C: Serialize>(command: &C) -> String {
    match serde_json::to_value(command) {
        Ok(serde_json::Value::Object(map)) => map.keys().next().cloned(),
        Ok(serde_json::Value::String(name)) => Some(name),
        _ => None,
    }
    .unwrap_or_else(|| "Command".to_owned())
}

fn problem_of<E: Rejection>(error: CommandError<E>) -> Problem {
    match error {
        CommandError::Rejected(rejection) => rejection.problem(),
        CommandError::CommandIdReused(id) => Problem::invalid(
            "idempotency-key-reused",
            format!("command id {id} (from this Idempotency-Key) was used for a different command"),
        ),
        CommandError::Contention { aggregate_id } => Problem::new(
            StatusCode::CONFLICT,
            "contention",
            "Too many concurrent changes",
        )
        .detail(format!("{aggregate_id} is changing too fast; retry"))
        .retry_after(1),
        CommandError::Encoding(error) => Problem::internal(&error),
        CommandError::Store(error) => Problem::failed(&error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::auth::Role;
    use bazaar_event_store::Receipt;

    fn request(key: Option<&str>, sub: &str) -> CommandRequest {
        CommandRequest {
            principal: Principal {
                sub: sub.into(),
                role: Role::Buyer,
                vendor: None,
                agent: None,
            },
            key: key.map(str::to_owned),
            correlation_id: None,
            received_at: Utc::now(),
            trace: None,
            lease: None,
        }
    }

    #[test]
    fn a_receipt_body_is_the_response_body_around_its_position() {
        let accepted = Accepted {
            command_id: Uuid::now_v7(),
            aggregate_id: "order-\"position-of-the-last-event\"".into(),
            position: Some(position_token(Position::new(812, 40_001))),
            first_sequence: Some(3),
            last_sequence: Some(4),
            replayed: false,
        };
        let mut planned = accepted.clone();
        planned.position = None;
        let (head, tail) = body_around_position(planned);
        let stored = Receipt {
            principal: String::new(),
            key: String::new(),
            lease_until: Utc::now(),
            status: 200,
            content_type: None,
            location: None,
            body_head: head,
            body_tail: tail,
        }
        .body(Position::new(812, 40_001));
        assert_eq!(stored, serde_json::to_vec(&accepted).unwrap());
    }

    #[test]
    fn ids_derive_from_the_key_and_the_principal() {
        let a = request(Some("k-1"), "buyer-1");
        assert_eq!(a.command_id(), request(Some("k-1"), "buyer-1").command_id());
        assert_ne!(a.command_id(), request(Some("k-1"), "buyer-2").command_id());
        assert_ne!(a.command_id(), request(Some("k-2"), "buyer-1").command_id());
        assert_ne!(a.new_id("order"), a.command_id().to_string());
        let fresh = request(None, "buyer-1");
        assert_ne!(fresh.command_id(), fresh.command_id());
    }

    #[test]
    fn position_tokens_round_trip_and_bad_ones_are_400() {
        let position = Position::new(812, 40_001);
        assert_eq!(parse_position(&position_token(position)).unwrap(), position);
        for bad in ["", "12", "a-b", "1-2-3", "-1"] {
            assert_eq!(parse_position(bad).unwrap_err().status(), 400, "{bad}");
        }
    }
}
