//! The Kafka relay against a real Postgres and a real Kafka-compatible
//! broker (Tansu, started per test on a free port; see `relay/broker.rs`).
//!
//! # Layout
//! - `relay/broker.rs`: starting, stopping and restarting Tansu.
//! - `relay/consume.rs`: an analytics consumer group, and the contract's
//!   per-aggregate ordering rule.
//! - `relay/world.rs`: events to relay and a relay in the background.
//! - `relay/publish.rs`: topics, keys, values, headers and order.
//! - `relay/outage.rs`: the broker down and restarted; nothing lost.

mod relay {
    pub(crate) mod broker;
    pub(crate) mod consume;
    mod outage;
    mod publish;
    pub(crate) mod world;
}
