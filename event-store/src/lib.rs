//! Bazaar's append-only event store on Postgres.
//!
//! Aggregates (cqrs-es 0.5) append through [`PgEventStore`]; every other
//! consumer (projectors, the Kafka relay, the checkout saga, auditors) reads
//! the log in commit order with [`read_after`] from a durable checkpoint.
//! The tables stay compatible with postgres-es, whose own repository and
//! snapshot store are not used: see `docs/adr/0001-own-event-store.md`
//! for the traps that made us write this crate.
//!
//! What the database itself guarantees (first migration): events cannot be
//! updated, deleted or truncated; every event gets a global position, its
//! transaction id, a recorded time, a UUIDv7 and a sha256 hash chained to
//! the previous event of its stream, and a stream cannot skip a sequence.
//!
//! # Layout
//! - [`pool`]: connecting, creating the database, migrations.
//! - [`store`]: the cqrs-es `EventStore` with correct snapshots and upcasting.
//! - [`repository`]: cqrs-es's `PersistedEventRepository`, without snapshots.
//! - `append`: one statement per commit; conflicts told apart from failures.
//! - [`group`]: group commit, many commands' appends in one transaction.
//! - `load`: a snapshot and the events after it in one round trip.
//! - [`command_log`]: commands recorded with their events, for idempotency.
//! - [`receipt`]: an idempotency key's response, committed with the events.
//! - [`metadata`]: command, correlation and causation ids and actor.
//! - [`reader`]: the commit-ordered read and subscriber checkpoints.
//! - [`position`]: a place in that order.
//! - [`recorded`]: a stored event with its position, and the columns to
//!   select it.
//! - [`stored_json`]: payload and metadata as the stored JSON text, decoded
//!   straight into typed values.
//! - [`provenance`]: the metadata fields readers use, read from that text.
//! - [`chain`] and [`mod@verify`]: the hash chain, its verification and the
//!   digest of the chain heads.
//! - [`snapshot`]: when and how snapshots are stored.
//! - [`transient`]: which failures are load, not faults, and how to log
//!   a database error's cause.
//! - [`wakeup`]: coalesced append notifications for readers.
//! - [`election`]: electing one process per worker part, noticing a lost
//!   lock session, and spreading the parts over the worker processes.
//! - [`upcasters`]: turning old event versions into current ones.
//! - [`audit`]: history, point-in-time state, the filtered log, exports and
//!   signed checkpoints for auditors, with their own error type.

mod append;
pub mod audit;
pub mod chain;
pub mod command_log;
pub mod election;
mod error;
pub mod group;
mod load;
pub mod metadata;
pub mod pool;
pub mod position;
pub mod provenance;
pub mod reader;
pub mod receipt;
pub mod recorded;
pub mod repository;
pub mod snapshot;
pub mod store;
pub mod stored_json;
pub mod trace_context;
pub mod transient;
pub mod upcasters;
pub mod verify;
pub mod wakeup;

pub use append::Appended;
pub use command_log::{
    find_command, log_unwritten, log_unwritten_at, CommandRecord, Logged, LoggedCommand, Unwritten,
};
pub use error::{Error, Result};
pub use group::{BatchSizes, GroupCommit};
pub use metadata::EventMetadata;
pub use pool::{connect, migrate, PgSettings, MIGRATOR};
pub use position::Position;
pub use provenance::Provenance;
pub use reader::{held_back, load_checkpoint, read_after, read_after_of, save_checkpoint};
pub use receipt::Receipt;
pub use recorded::{read_stream, RecordedEvent};
pub use repository::PgEventRepository;
pub use store::PgEventStore;
pub use stored_json::StoredJson;
pub use transient::Transient;
pub use verify::{verify, verify_all, verify_stream, BreakReason, BrokenLink, Scope, Verification};
pub use wakeup::Notifier;
