//! Bazaar's projector workers: Postgres read models, the Elasticsearch index
//! and the Kafka relay, each reading the event store in commit order
//! (`bazaar_event_store::read_after`) from its own durable checkpoint and
//! writing its effects and checkpoint together.
//!
//! Filled by the projections issue; the crate is here so the workspace
//! layout and dependency direction are fixed from the start.
