//! The Kafka relay against a real Postgres and a real Kafka-compatible
//! broker (Tansu, started per test on a free port; `bazaar_testkit::broker`).
//!
//! # Layout
//! - `relay/consume.rs`: an analytics consumer group, and the contract's
//!   per-aggregate ordering rule.
//! - `relay/world.rs`: events to relay and a relay in the background.
//! - `relay/publish.rs`: topics, keys, values, headers and order.
//! - `relay/outage.rs`: the broker down and restarted; nothing lost.

mod consume;
mod outage;
mod publish;
mod world;
