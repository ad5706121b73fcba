//! The orders read model against a real Postgres, fed by the real Order
//! aggregate, checkout saga and scheduler: each test gets a fresh, migrated
//! database from `#[sqlx::test]`.
//!
//! # Layout
//! - `orders/world.rs`: the write side under test control.
//! - `orders/rows.rs`: projecting, reading rows, dumping generations.
//! - `orders/lifecycle.rs`: a three-vendor order from placement to return.
//! - `orders/closing.rs`: cancellations and payment expiry.
//! - `orders/replay.rs`: rebuild equality, idempotent replay, poison events.

mod orders {
    mod closing;
    mod lifecycle;
    mod replay;
    pub(crate) mod rows;
    pub(crate) mod world;
}
