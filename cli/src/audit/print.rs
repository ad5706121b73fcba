//! Tables of events for people; `--json` prints the same pages as JSON.

use std::io::Write;

use bazaar_event_store::audit::{AuditEvent, HistoryPage, LogPage};
use chrono::SecondsFormat;
use serde::Serialize;

/// `value` as pretty JSON on stdout.
pub(super) fn json(value: &impl Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// A stream's page: sequence, time, event, actor, command, correlation, causation.
pub(super) fn history(page: &HistoryPage) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}/{}", page.aggregate_type, page.aggregate_id)?;
    writeln!(
        out,
        "{:>5}  {:<27}  {:<28}  {:<24}  {:<36}  {:<36}  causation",
        "seq", "recorded at", "event", "actor", "command", "correlation"
    )?;
    for event in &page.events {
        writeln!(
            out,
            "{:>5}  {:<27}  {:<28}  {:<24}  {:<36}  {:<36}  {}",
            event.sequence,
            time(event),
            event.event_type,
            or_dash(&event.actor),
            or_dash(&event.command_id),
            or_dash(&event.correlation_id),
            or_dash(&event.causation_id)
        )?;
    }
    if let Some(next) = page.next_after_sequence {
        writeln!(out, "more: --after {next}")?;
    }
    Ok(())
}

/// A log page: position, stream, sequence, time, event, actor, correlation.
pub(super) fn log(page: &LogPage) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:>10}  {:<40}  {:>5}  {:<27}  {:<28}  {:<24}  correlation",
        "position", "stream", "seq", "recorded at", "event", "actor"
    )?;
    for event in &page.events {
        let stream = format!("{}/{}", event.aggregate_type, event.aggregate_id);
        writeln!(
            out,
            "{:>10}  {:<40}  {:>5}  {:<27}  {:<28}  {:<24}  {}",
            event.global_position,
            stream,
            event.sequence,
            time(event),
            event.event_type,
            or_dash(&event.actor),
            or_dash(&event.correlation_id)
        )?;
    }
    let more = if page.more { "more" } else { "end for now" };
    writeln!(out, "next: --after {} ({more})", page.next)?;
    Ok(())
}

fn time(event: &AuditEvent) -> String {
    event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn or_dash(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("-")
}
