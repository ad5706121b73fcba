//! Integration tests of the event store against a real Postgres; each test
//! gets a fresh, migrated database from `#[sqlx::test]`.

mod append;
mod append_only;
mod audit_checkpoint;
mod audit_export;
mod audit_log;
mod audit_state;
mod cancellation;
mod command_log;
mod compat;
mod group;
mod reader;
mod snapshots;
mod support;
mod tamper;
mod upcasting;
