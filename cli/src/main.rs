//! The `bazaar` binary: a shim over [`bazaar_cli::run`].

use bazaar_cli::Cli;
use bazaar_runtime::config::file;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = file::parse()?;
    bazaar_cli::run(cli).await
}
