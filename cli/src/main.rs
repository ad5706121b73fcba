//! The `bazaar` binary: a shim over [`bazaar_cli::run`].
//!
//! It allocates with mimalloc: under load, glibc's malloc and free took
//! about a third of the server's CPU (`perf`, see `docs/benchmarks.md`),
//! much of it consolidating and unlinking chunks freed by other threads.

use bazaar_cli::Cli;
use bazaar_runtime::config::file;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli: Cli = file::parse()?;
    bazaar_cli::run(cli).await
}
