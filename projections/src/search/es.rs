//! The Elasticsearch side of search: index templates with explicit
//! mappings, versioned indices behind aliases, the indexer that keeps them
//! in step with the log, parked documents, and the queries.
//!
//! Indices are named `<prefix>-<kind>-v<mapping version>-<generation>` and
//! read through the alias `<prefix>-<kind>`. A generation is a row of the
//! `projection` table named [`generation::NAME`], so `bazaar projections
//! status` shows its position and lag; a rebuild fills the next generation's
//! indices and swaps both aliases in one `_aliases` request.
//!
//! # Layout
//! - [`client`]: settings, the client, index and alias names, raw calls.
//! - [`mappings`]: the index templates.
//! - [`bulk`]: bulk request lines and the verdict on every item.
//! - [`error`]: why an indexing step failed.
//! - [`ship`]: reading documents and sending them, retries, verdicts.
//! - [`indexer`]: one step: a batch of events, shipped, parked, checkpointed.
//! - [`generation`]: generations in `projection`, the checkpoint, the switch.
//! - [`indices`]: templates, indices, the atomic alias swap.
//! - [`rebuild`]: filling a new generation and switching to it.
//! - [`worker`]: the long-running, elected indexer.
//! - [`wake`]: what wakes it: the `search` projection's commits.
//! - [`parked`]: documents Elasticsearch refused, and re-driving them.
//! - [`health`]: this process's counters and state, for logs.
//! - [`status`]: position, lag and parked documents, for operators.
//! - [`query`]: searches and their answers; `facets`: their aggregations.

pub mod bulk;
pub mod client;
pub mod error;
mod facets;
pub mod generation;
pub mod health;
pub mod indexer;
pub mod indices;
pub mod mappings;
pub mod parked;
pub mod query;
pub mod rebuild;
pub mod ship;
pub mod status;
pub mod wake;
pub mod worker;

pub use client::{DocKind, EsClient, EsError, EsSettings};
pub use health::IndexerHealth;
