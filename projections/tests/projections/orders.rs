//! The orders read model against a real Postgres, fed by the real Order
//! aggregate, checkout saga and scheduler (the test kit's write side): each test gets a fresh, migrated
//! database from `#[sqlx::test]`.
//!
//! # Layout
//! - `orders/rows.rs`: projecting, reading rows, dumping generations.
//! - `orders/lifecycle.rs`: a three-vendor order from placement to return.
//! - `orders/closing.rs`: cancellations and payment expiry.
//! - `orders/replay.rs`: rebuild equality, idempotent replay, poison events.

mod closing;
mod lifecycle;
mod replay;
mod rows;
