//! Bazaar's use cases: running commands against the aggregates, the
//! checkout saga and the durable scheduler.
//!
//! Every write goes through an [`executor::Executor`]: load the aggregate,
//! let it decide, append its events with the command's id in one statement.
//! A retried command id returns its first outcome; concurrency conflicts are
//! retried a bounded number of times. Process managers and timers issue
//! commands the same way, with ids derived from the event that caused them,
//! so replaying an event never acts twice.
//!
//! # Layout
//! - [`app`]: every aggregate's executor; the use-case entry points.
//! - [`audit`]: aggregates by name, and their state as of a point in time.
//! - [`executor`]: one command, once, with bounded retries.
//! - `cache`: aggregates kept in memory between commands.
//! - [`saga`]: process managers, among them the checkout saga.
//! - [`error`]: why a command did not take effect.
//! - [`scheduler`]: durable timers.
//! - [`metrics`]: the saga's and the scheduler's counters.

pub mod app;
pub mod audit;
mod cache;
pub mod error;
pub mod executor;
mod locks;
pub mod metrics;
pub mod saga;
pub mod scheduler;

pub use app::WriteSide;
pub use error::CommandError;
pub use executor::{Executor, Options, Outcome, ReceiptOf};
