//! Tests of the use-case layer against a real Postgres: each test gets a
//! fresh, migrated database from `#[sqlx::test]`.

mod executor;
mod fixtures;
