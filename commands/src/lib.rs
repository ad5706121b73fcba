//! Bazaar's use cases: one async function per command, wiring the domain's
//! aggregates to the event store (`bazaar_event_store::PgEventStore`), with
//! command idempotency, bounded retry on concurrency conflicts, the checkout
//! saga and the durable scheduler.
//!
//! Filled by the domain issue; the crate is here so the workspace layout and
//! dependency direction are fixed from the start.
