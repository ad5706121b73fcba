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
//! - [`executor`]: one command, once, with bounded retries.
//! - [`error`]: why a command did not take effect.
//! - [`scheduler`]: durable timers.

pub mod error;
pub mod executor;
pub mod scheduler;

pub use error::CommandError;
pub use executor::{Executor, Outcome};
