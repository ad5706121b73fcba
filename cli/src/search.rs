//! `bazaar search status`, `rebuild`, `parked` and `redrive`: operating
//! the Elasticsearch indices (see `docs/search.md`).

use anyhow::{bail, Context};
use bazaar_projections::search::es::generation::NAME;
use bazaar_projections::search::es::parked::{open, redrive};
use bazaar_projections::search::es::rebuild::rebuild;
use bazaar_projections::search::es::status::indexer_status;
use bazaar_projections::search::es::{EsClient, IndexerHealth};
use bazaar_projections::status::statuses;
use clap::Subcommand;
use sqlx::PgPool;

/// `bazaar search …`
#[derive(Debug, Subcommand)]
pub enum SearchCommand {
    /// Backend, live generation, position, lag and open parked documents.
    Status,
    /// Fill new indices from the search documents, catch up, then swap the
    /// aliases to them (needs `ELASTICSEARCH_URL`).
    Rebuild,
    /// List the documents Elasticsearch refused (open ones, oldest first).
    Parked {
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Send the current version of parked documents again (all, or one).
    Redrive {
        /// The parked document's id (from `bazaar search parked`).
        id: Option<i64>,
    },
}

/// Runs one `search` subcommand; `es` is `None` without `ELASTICSEARCH_URL`.
pub async fn run(
    pool: &PgPool,
    es: Option<EsClient>,
    command: SearchCommand,
) -> anyhow::Result<()> {
    match command {
        SearchCommand::Status => status(pool, es.is_some()).await,
        SearchCommand::Rebuild => {
            let Some(es) = es else {
                bail!("`bazaar search rebuild` needs ELASTICSEARCH_URL (or --elasticsearch-url)")
            };
            let generation = rebuild(pool, &es, &IndexerHealth::new(), |copied| {
                if copied % 10_000 == 0 {
                    eprintln!("search: {copied} documents copied");
                }
            })
            .await
            .context("rebuilding the search indices")?;
            println!("search: generation {generation} is live; aliases point at its indices");
            Ok(())
        }
        SearchCommand::Parked { limit } => {
            for row in open(pool, limit).await.context("reading search_parked")? {
                println!(
                    "{:>6}  {}  {}/{} v{}  {} {}: {}",
                    row.parked_id,
                    row.parked_at.format("%Y-%m-%d %H:%M:%S"),
                    row.index_name,
                    row.doc_id,
                    row.version,
                    row.status,
                    row.error_type.unwrap_or_default(),
                    row.error_reason
                );
            }
            Ok(())
        }
        SearchCommand::Redrive { id } => {
            let Some(es) = es else {
                bail!("`bazaar search redrive` needs ELASTICSEARCH_URL (or --elasticsearch-url)")
            };
            let done = redrive(pool, &es, id)
                .await
                .context("re-driving parked documents")?;
            println!(
                "search: {} resolved, {} still parked",
                done.resolved, done.still_parked
            );
            Ok(())
        }
    }
}

async fn status(pool: &PgPool, elasticsearch: bool) -> anyhow::Result<()> {
    let backend = if elasticsearch {
        "elasticsearch"
    } else {
        "postgres (ELASTICSEARCH_URL unset)"
    };
    println!("searches answered by: {backend}");
    let rows = statuses(pool).await.context("reading projection status")?;
    for row in rows
        .iter()
        .filter(|r| r.projection_name == "search" || r.projection_name == NAME)
    {
        println!(
            "{:<10} gen {:>3} {:<9} position {:>10}  lag {:>8} events {:>9.3} s  {}",
            row.projection_name,
            row.generation,
            row.status,
            row.position,
            row.lag_events,
            row.lag_seconds,
            row.error.clone().unwrap_or_default()
        );
    }
    // the figures /health/ready and /metrics report, from the same query
    let indexer = indexer_status(pool)
        .await
        .context("reading the indexer's status")?;
    match indexer {
        Some(i) => println!(
            "indexer: generation {} {}, position {}, lag {} events {:.3} s, parked documents (open): {}",
            i.generation, i.state, i.position, i.lag_events, i.lag_seconds, i.parked
        ),
        None => println!("indexer: no live generation yet (parked documents (open): 0)"),
    }
    Ok(())
}
