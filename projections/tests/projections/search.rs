//! Search against a real Postgres, with documents produced by real
//! commands (executors, checkout saga, scheduler): the Postgres fallback
//! answering every kind of query, the documents agreeing with the read
//! models, and the Elasticsearch indexer's exact requests against a local
//! HTTP server replaying real Elasticsearch answers. Each test gets a
//! fresh, migrated database from `#[sqlx::test]`.
//!
//! Tests against a live Elasticsearch API are in `search_live`.
//!
//! # Layout
//! - `search/scenario.rs`: four orders of three buyers and three vendors.
//! - `search/fallback.rs`: the Postgres fallback: scopes, text, filters,
//!   pagination, facets.
//! - `search/documents.rs`: documents equal the read models; replays.
//! - `search/aggregates.rs`: the kept facet counts equal the rows grouped.
//! - `search/facet_limit.rs`: facets of more matches than the fallback
//!   groups count the newest and say so.
//! - `search/mock_es.rs`: a recording HTTP server with fixture answers.
//! - `search/contract.rs`: the indexer's requests and its handling of
//!   partial bulk failures, version conflicts, parking and rebuilds.
//! - `search/queries.rs`: search requests and answers against the server.
//! - `search/stock.rs`: stock search from the fallback.
//! - `search/stock_docs.rs`: stock documents list the batches that hold units.

mod aggregates;
mod contract;
mod documents;
mod facet_limit;
mod fallback;
mod mock_es;
mod queries;
pub(crate) mod scenario;
mod stock;
mod stock_docs;
