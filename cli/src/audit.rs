//! `bazaar audit …`: the auditors' command line, a thin layer over
//! `bazaar_event_store::audit` and `bazaar_commands::audit`, which the
//! HTTP API calls too.
//!
//! Audit commands never create or migrate the database: an auditor may
//! hold read-only credentials. Results go to stdout (JSON, NDJSON or a
//! table), logs to stderr. Verification commands exit non-zero when
//! something does not hold.
//!
//! # Layout
//! - this file: the subcommands and their dispatch.
//! - `audit/print`: tables for people.
//! - `audit/files`: key, checkpoint and export files.
//! - `audit/checkpoint`: `bazaar audit checkpoint keygen | sign | verify`.

use std::path::PathBuf;

use anyhow::Context;
use bazaar_commands::audit::AggregateKind;
use bazaar_event_store::audit::{ExportSelection, LogFilter};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use sqlx::PgPool;
use uuid::Uuid;

use bazaar_runtime::config::Settings;

mod checkpoint;
mod files;
mod print;
mod read;

pub use checkpoint::CheckpointCommand;

/// `bazaar audit …`
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Every event of one stream with who, when, which command, correlation
    /// and causation, oldest first, one page at a time.
    History {
        /// Aggregate type: order, payment_split, inventory (stock), escrow,
        /// or any stored type name.
        aggregate_type: String,
        /// Aggregate id.
        aggregate_id: String,
        /// Start after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: i64,
        /// Events per page (at most 1,000).
        #[arg(long)]
        limit: Option<u32>,
        /// Print the page as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// An aggregate's state as of a sequence number or an instant (default:
    /// now), as JSON.
    State {
        /// Aggregate type: order, payment_split, inventory (stock) or escrow.
        aggregate_type: String,
        /// Aggregate id.
        aggregate_id: String,
        /// Fold the events up to and including this sequence number.
        #[arg(long, conflicts_with = "at")]
        sequence: Option<i64>,
        /// Fold the events recorded at or before this instant (RFC 3339).
        #[arg(long)]
        at: Option<DateTime<Utc>>,
    },
    /// The global log in commit order, filtered, one page at a time.
    Log {
        /// The `next` cursor of the previous page.
        #[arg(long)]
        after: Option<String>,
        /// Events per page (at most 1,000).
        #[arg(long)]
        limit: Option<u32>,
        /// Which events.
        #[command(flatten)]
        filter: FilterArgs,
        /// Print the page as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Recompute the hash chains of one stream or of the whole store and
    /// name the first broken link; exits 1 if one is broken.
    Verify {
        /// Only this stream: TYPE ID.
        #[arg(long, num_args = 2, value_names = ["TYPE", "ID"])]
        stream: Option<Vec<String>>,
    },
    /// Export a stream, a correlation id or a time range as NDJSON, one
    /// event per line with its metadata and hashes.
    Export {
        /// Export this stream: TYPE ID.
        #[arg(long, num_args = 2, value_names = ["TYPE", "ID"])]
        stream: Option<Vec<String>>,
        /// Otherwise export the log's events matching these.
        #[command(flatten)]
        filter: FilterArgs,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Recompute every hash of an NDJSON export and the links between
    /// consecutive events of a stream; needs no database. Exits 1 on the
    /// first problem.
    VerifyExport {
        /// The export file.
        file: PathBuf,
    },
    /// Signed checkpoints of the chain heads.
    #[command(subcommand)]
    Checkpoint(CheckpointCommand),
}

/// Filters of the global log.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only this aggregate type.
    #[arg(long)]
    aggregate_type: Option<String>,
    /// Only this event type, e.g. `PaymentConfirmed`.
    #[arg(long)]
    event_type: Option<String>,
    /// Only events recorded at or after this instant (RFC 3339).
    #[arg(long)]
    from: Option<DateTime<Utc>>,
    /// Only events recorded before this instant (RFC 3339).
    #[arg(long)]
    to: Option<DateTime<Utc>>,
    /// Only events of this correlation id (one checkout, across every
    /// aggregate it touched).
    #[arg(long)]
    correlation_id: Option<Uuid>,
}

impl FilterArgs {
    fn filter(self) -> LogFilter {
        LogFilter {
            aggregate_type: self.aggregate_type.as_deref().map(stored_type),
            event_type: self.event_type,
            from: self.from,
            to: self.to,
            correlation_id: self.correlation_id,
        }
    }
}

/// The stored type a name means: a known aggregate's stored name, or the
/// name as given (streams of other writers).
fn stored_type(name: &str) -> String {
    AggregateKind::parse(name).map_or_else(|_| name.to_owned(), |k| k.stored_name().to_owned())
}

/// `[TYPE, ID]` as given to `--stream`, with the type resolved.
fn stream_arg(stream: &[String]) -> anyhow::Result<(String, String)> {
    match stream {
        [aggregate_type, aggregate_id] => Ok((stored_type(aggregate_type), aggregate_id.clone())),
        _ => anyhow::bail!("--stream takes TYPE ID"),
    }
}

/// Runs one `audit` subcommand.
pub async fn run(settings: &Settings, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::VerifyExport { file } => files::verify_export(&file),
        AuditCommand::Checkpoint(command) => checkpoint::run(settings, command).await,
        command => run_with_database(&connect(settings)?, command).await,
    }
}

async fn run_with_database(pool: &PgPool, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::History {
            aggregate_type,
            aggregate_id,
            after,
            limit,
            json,
        } => {
            let stream = (stored_type(&aggregate_type), aggregate_id);
            read::history(pool, stream, after, limit, json).await
        }
        AuditCommand::State {
            aggregate_type,
            aggregate_id,
            sequence,
            at,
        } => read::state(pool, aggregate_type, aggregate_id, sequence, at).await,
        AuditCommand::Log {
            after,
            limit,
            filter,
            json,
        } => read::log(pool, filter.filter(), after, limit, json).await,
        AuditCommand::Verify { stream } => {
            let stream = stream.as_deref().map(stream_arg).transpose()?;
            read::verify(pool, stream).await
        }
        AuditCommand::Export {
            stream,
            filter,
            out,
        } => {
            let selection = match stream.as_deref().map(stream_arg).transpose()? {
                Some((aggregate_type, aggregate_id)) => ExportSelection::Stream {
                    aggregate_type,
                    aggregate_id,
                },
                None => ExportSelection::Log(filter.filter()),
            };
            files::export(pool, selection, out.as_deref()).await
        }
        AuditCommand::VerifyExport { .. } | AuditCommand::Checkpoint(_) => Ok(()),
    }
}

/// A pool on the existing database; nothing is created or migrated.
fn connect(settings: &Settings) -> anyhow::Result<PgPool> {
    bazaar_event_store::connect(&settings.pg()).context("bad DATABASE_URL")
}
