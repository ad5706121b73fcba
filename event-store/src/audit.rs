//! Auditors' tools over the event store: what happened, who did it, what an
//! aggregate looked like at a moment, and proof that the record was not
//! altered.
//!
//! Every function takes plain, serialisable request types and returns plain
//! response types, so the `bazaar audit` command line and the HTTP API call
//! the same code. Reads of the whole log use the commit-ordered horizon of
//! [`crate::reader`]: a cursor handed out once never has an event appear
//! behind it later.
//!
//! # Layout
//! - [`event`]: one event as auditors see it, with its metadata and hashes.
//! - [`history`]: a stream's events, paged by sequence.
//! - [`log`]: the global log, paged by a stable cursor, with filters.
//! - [`state`]: an aggregate folded up to a sequence number or an instant.
//! - [`export`]: NDJSON exports, streamed, and their offline verification.
//! - [`checkpoint`]: Ed25519-signed checkpoints of the chain heads below a
//!   horizon (the heads and their digest are the store's, in
//!   [`crate::verify::heads`]).
//! - [`keys`]: generating and reading the signing keys.
//! - `error`: [`AuditError`], the audit's own failures beside the store's.
//!
//! The audit is the only user of the crate's signing and encoding
//! dependencies (ed25519, base64, getrandom). It fails with its own
//! [`AuditError`]; the store's [`crate::Error`] knows nothing of audits,
//! and the store's own modules never import this one.
//!
//! It reaches the store only through the store's public API: the
//! commit-ordered reader and [`crate::recorded`], [`crate::position`], the
//! chain and the verifier, and `PgEventStore`'s `pool` and `deserialize`
//! (the point-in-time fold in [`state`] reads through the store's
//! upcasters). It stays a module, not a crate, because its tests share the
//! store's test aggregate (`event-store/tests/event_store/support.rs`) and
//! the fold is an inherent method of `PgEventStore`; with the tests on the
//! shared test kit and the fold behind an extension trait it can move out
//! whole, taking the signing dependencies with it.

pub mod checkpoint;
mod error;
pub mod event;
pub mod export;
pub mod history;
pub mod keys;
pub mod log;
pub mod state;

pub use crate::verify::heads::{Digested, HeadsDigest, StreamHead};
pub use checkpoint::{Checkpoint, CheckpointCheck, StoreCheck};
pub use error::{AuditError, Result};
pub use event::AuditEvent;
pub use export::{export_ndjson, export_to_string, verify_export, ExportCheck, ExportSelection};
pub use history::{stream_history, HistoryPage, HistoryRequest};
pub use log::{read_log, Cursor, LogFilter, LogPage, PageRequest};
pub use state::{AggregateState, StateBound, StateRequest};
