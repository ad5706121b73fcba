//! Bazaar's projector workers: Postgres read models built from the event
//! log, each from its own durable checkpoint, and the Kafka relay.
//!
//! A read model is not a cqrs-es query (those run in-process after commit
//! and are lost on a crash). Each [`Projection`] is followed by one worker
//! (an advisory lock elects it across processes) that reads the log in
//! commit order and applies a batch and its checkpoint in one transaction,
//! so every event takes effect exactly once. Each build of a projection is a
//! *generation*: its own schema; readers use the `read.*` views, which a
//! rebuild swaps atomically once the new generation has caught up.
//!
//! # Layout
//! - [`projection`]: the trait a read model implements.
//! - [`generation`]: schemas, generations and the `read` views.
//! - [`batch`]: applying a batch exactly once; poison events.
//! - [`read_models`]: the read models themselves, one file each.
//! - [`registry`]: every projection by name, for the CLI and the workers.
//! - [`runtime`]: catching a generation up to the head of the log.
//! - [`worker`]: the long-running, elected worker of one projection.
//! - [`wakeups`]: waiting for new events (signal, LISTEN, polling).
//! - [`keyset`]: keyset cursors and pages, shared by every list.
//! - [`reached`]: the positions the live read models have reached, in memory.
//! - [`rebuild`]: filling a new generation and switching readers to it.
//! - [`status`]: position, lag and state of every projection.
//! - [`relay`]: the Kafka relay, one more projector with its own checkpoint.
//! - [`search`]: search documents, the Elasticsearch indexer and the search API.
//! - [`metrics`]: the workers' counters and histograms.

pub mod batch;
pub mod generation;
pub mod keyset;
pub mod metrics;
pub mod projection;
pub mod reached;
pub mod read_models;
pub mod rebuild;
pub mod registry;
pub mod relay;
pub mod runtime;
pub mod search;
pub mod status;
pub mod wakeups;
pub mod worker;

pub use projection::{ApplyError, Projection};
