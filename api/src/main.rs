//! The `bazaar` binary: a shim over [`bazaar_api::cli::run`].

use bazaar_api::cli::Cli;
use bazaar_api::config::file;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = file::parse()?;
    bazaar_api::cli::run(cli).await
}
