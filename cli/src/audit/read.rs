//! The reading subcommands: history, state, log and verify.

use std::time::Instant;

use bazaar_commands::audit::state_as_of;
use bazaar_commands::WriteSide;
use bazaar_event_store::audit::{
    read_log, stream_history, Cursor, HistoryRequest, LogFilter, PageRequest, StateRequest,
};
use bazaar_event_store::{verify_all, verify_stream};
use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::print;

/// `bazaar audit history`.
pub(super) async fn history(
    pool: &PgPool,
    (aggregate_type, aggregate_id): (String, String),
    after: i64,
    limit: Option<u32>,
    json: bool,
) -> anyhow::Result<()> {
    let request = HistoryRequest {
        aggregate_type,
        aggregate_id,
        after_sequence: after,
        limit,
    };
    let page = stream_history(pool, &request).await?;
    if json {
        print::json(&page)
    } else {
        print::history(&page)
    }
}

/// `bazaar audit state`.
pub(super) async fn state(
    pool: &PgPool,
    aggregate_type: String,
    aggregate_id: String,
    sequence: Option<i64>,
    at: Option<DateTime<Utc>>,
) -> anyhow::Result<()> {
    let app = WriteSide::new(pool.clone());
    let request = StateRequest {
        aggregate_type,
        aggregate_id,
        sequence,
        at,
    };
    print::json(&state_as_of(&app, &request).await?)
}

/// `bazaar audit log`.
pub(super) async fn log(
    pool: &PgPool,
    filter: LogFilter,
    after: Option<String>,
    limit: Option<u32>,
    json: bool,
) -> anyhow::Result<()> {
    let after = after.map(|c| c.parse::<Cursor>()).transpose()?;
    let page = read_log(pool, &filter, &PageRequest { after, limit }).await?;
    if json {
        print::json(&page)
    } else {
        print::log(&page)
    }
}

/// `bazaar audit verify`: the report on stdout, the rate on stderr; an
/// error (exit 1) when a link is broken.
pub(super) async fn verify(pool: &PgPool, stream: Option<(String, String)>) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = match &stream {
        Some((aggregate_type, aggregate_id)) => {
            verify_stream(pool, aggregate_type, aggregate_id).await?
        }
        None => verify_all(pool).await?,
    };
    let seconds = started.elapsed().as_secs_f64();
    if let (Some((aggregate_type, aggregate_id)), 0) = (&stream, report.events) {
        anyhow::bail!("no stream {aggregate_type}/{aggregate_id}");
    }
    print::json(&report)?;
    eprintln!(
        "verified {} events in {} streams in {seconds:.1} s ({:.0} events/s)",
        report.events,
        report.streams,
        report.events as f64 / seconds.max(1e-6)
    );
    match &report.broken {
        Some(link) => anyhow::bail!("hash chain broken at {link}"),
        None => Ok(()),
    }
}
