//! The `bazaar` binary's tests, one binary: its subcommands run as
//! processes (`serve`, `api`, `migrate`, `relay`, restores, `audit`, a
//! database restart under load), its settings and their documentation,
//! the Kafka relay's readiness against a real Tansu broker (the test
//! kit's `broker`), the auditors' tools over a real checkout (`audit`)
//! and, with the `otel` feature, the trace export.

mod api_only;
mod audit;
mod config_file;
mod crash;
mod db_restart;
mod help_secrets;
mod migrate;
mod ops;
#[cfg(feature = "otel")]
mod otel;
mod overload;
mod private_pg;
mod relay;
mod replica;
mod restore;
mod scratch;
mod search_status;
mod serve;
mod settings_doc;
mod spread;

/// The harness the API tests use, from the workspace's test kit.
mod helpers {
    pub(crate) use bazaar_testkit::app::*;
}
