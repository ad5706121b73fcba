//! A live Elasticsearch API for the search tests: a noida-db server per
//! test (or the cluster `ELASTICSEARCH_URL` names), a client with an index
//! prefix of its own, and the comparison of what it holds with the search
//! projection's documents.
//!
//! Shared by the projections' live search tests and the simulator's test
//! that compares both search backends after a `bazaar simulate` run; here
//! rather than copied into both, behind the `search` feature because it
//! links the Elasticsearch client.

mod cluster;
mod compare;
mod pages;
mod server;

pub use cluster::{clean_up, refresh, Cluster};
pub use compare::{converge, in_elasticsearch, in_postgres, Docs};
pub use pages::every_page;
pub use server::Server;
