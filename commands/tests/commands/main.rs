//! Tests of the use-case layer against a real Postgres: each test gets a
//! fresh, migrated database from `#[sqlx::test]`.

mod checkout;
mod executor;
mod fixtures;
mod processes;
mod races;
mod restart;
mod saga_lanes;
mod scheduler;
