//! The `bazaar` binary: a shim over [`bazaar_api::cli::run`].

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bazaar_api::cli::run(bazaar_api::cli::Cli::parse()).await
}
