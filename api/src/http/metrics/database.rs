//! The figures kept in Postgres, read when `/metrics` is scraped: where
//! each read model, the search indexer and the Kafka relay stand, and the
//! scheduler's due timers. Rendered by a recorder of the scrape
//! alone (the same exporter, so the same format), appended to the
//! process's own metrics.

use std::collections::BTreeMap;

use bazaar_projections::relay::RelayHealth;
use bazaar_projections::search::es::status::{indexer_status, IndexerStatus};
use bazaar_projections::status::{statuses, Status};
use metrics::{describe_gauge, gauge, Unit};
use sqlx::PgPool;

use super::{builder, handle};

/// States a projection's serving generation may be in; each has a series,
/// 1 for the current state and 0 for the others.
const PROJECTION_STATES: [&str; 3] = ["building", "live", "failed"];

/// What one scrape read from Postgres.
#[derive(Default)]
struct Figures {
    projections: Vec<Serving>,
    search: Option<IndexerStatus>,
    relay_lag_seconds: Option<f64>,
    due_timers: Option<i64>,
}

/// A projection's generation that readers use, and the one being rebuilt.
struct Serving {
    status: Status,
    rebuild_lag_events: i64,
}

/// The process's metrics followed by the database's, in the text format.
pub async fn scrape(pool: &PgPool, relay: &RelayHealth) -> String {
    let mut text = handle().render();
    text.push_str(&database(pool, relay).await);
    text
}

async fn database(pool: &PgPool, relay: &RelayHealth) -> String {
    let figures = read(pool, relay).await;
    let recorder = builder().build_recorder();
    let rendered = recorder.handle();
    metrics::with_local_recorder(&recorder, || {
        describe_all();
        record(&figures);
    });
    rendered.render()
}

async fn read(pool: &PgPool, relay: &RelayHealth) -> Figures {
    let mut figures = Figures::default();
    match statuses(pool).await {
        Ok(all) => figures.projections = serving(all),
        Err(error) => tracing::warn!(%error, "metrics: projection status unavailable"),
    }
    match indexer_status(pool).await {
        Ok(search) => figures.search = search,
        Err(error) => tracing::warn!(%error, "metrics: search indexer status unavailable"),
    }
    figures.relay_lag_seconds = relay.check(pool).await.lag_seconds;
    match due_timers(pool).await {
        Ok(due) => figures.due_timers = Some(due),
        Err(error) => tracing::warn!(%error, "metrics: scheduler status unavailable"),
    }
    figures
}

/// Per projection: the newest live or failed generation (the newest
/// building one before the first goes live), and the lag of a newer
/// generation being rebuilt beside it (0 when none is).
fn serving(all: Vec<Status>) -> Vec<Serving> {
    let mut by_name: BTreeMap<String, Vec<Status>> = BTreeMap::new();
    for status in all {
        by_name
            .entry(status.projection_name.clone())
            .or_default()
            .push(status);
    }
    by_name
        .into_values()
        .filter_map(|generations| {
            let status = generations
                .iter()
                .filter(|s| s.status != "building")
                .max_by_key(|s| s.generation)
                .or_else(|| generations.iter().max_by_key(|s| s.generation))?
                .clone();
            let rebuild_lag_events = generations
                .iter()
                .filter(|s| s.status == "building" && s.generation > status.generation)
                .map(|s| s.lag_events)
                .max()
                .unwrap_or(0);
            Some(Serving {
                status,
                rebuild_lag_events,
            })
        })
        .collect()
}

/// Timers due and not run yet (the pending timers' partial index).
async fn due_timers(pool: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from scheduled_command \
          where status = 'pending' and due_at <= clock_timestamp()",
    )
    .fetch_one(pool)
    .await
}

fn record(figures: &Figures) {
    for serving in &figures.projections {
        let status = &serving.status;
        let name = status.projection_name.clone();
        gauge!("bazaar_projection_lag_events", "projection" => name.clone())
            .set(status.lag_events as f64);
        gauge!("bazaar_projection_lag_seconds", "projection" => name.clone())
            .set(status.lag_seconds);
        gauge!("bazaar_projection_generation", "projection" => name.clone())
            .set(f64::from(status.generation));
        gauge!("bazaar_projection_rebuild_lag_events", "projection" => name.clone())
            .set(serving.rebuild_lag_events as f64);
        for state in PROJECTION_STATES {
            let on = if status.status == state { 1.0 } else { 0.0 };
            gauge!("bazaar_projection_state", "projection" => name.clone(), "state" => state)
                .set(on);
        }
    }
    if let Some(search) = &figures.search {
        gauge!("bazaar_search_indexer_generation").set(f64::from(search.generation));
        gauge!("bazaar_search_indexer_position").set(search.position as f64);
        gauge!("bazaar_search_indexer_lag_events").set(search.lag_events as f64);
        gauge!("bazaar_search_indexer_lag_seconds").set(search.lag_seconds);
        gauge!("bazaar_search_parked_documents").set(search.parked as f64);
        gauge!("bazaar_search_indexer_failed").set(if search.state == "failed" {
            1.0
        } else {
            0.0
        });
    }
    if let Some(lag) = figures.relay_lag_seconds {
        gauge!("bazaar_relay_lag_seconds").set(lag);
    }
    if let Some(due) = figures.due_timers {
        gauge!("bazaar_scheduler_due_timers").set(due as f64);
    }
}

fn describe_all() {
    let gauges: [(&'static str, Unit, &'static str); 13] = [
        ("bazaar_projection_lag_events", Unit::Count, "Committed events the serving generation of a read model has not applied"),
        ("bazaar_projection_lag_seconds", Unit::Seconds, "Age of the oldest event the serving generation has not applied (0 when caught up)"),
        ("bazaar_projection_generation", Unit::Count, "The generation of a read model that readers use"),
        ("bazaar_projection_rebuild_lag_events", Unit::Count, "Events a rebuild of a read model still has to apply (0 when none runs)"),
        ("bazaar_projection_state", Unit::Count, "1 for the state of a read model's serving generation (building, live, failed), 0 for the others"),
        ("bazaar_search_indexer_generation", Unit::Count, "The generation of the Elasticsearch indices searches read"),
        ("bazaar_search_indexer_position", Unit::Count, "Global position of the last event shipped to Elasticsearch (or parked)"),
        ("bazaar_search_indexer_lag_events", Unit::Count, "Committed events not shipped to Elasticsearch yet"),
        ("bazaar_search_indexer_lag_seconds", Unit::Seconds, "Age of the oldest event not shipped to Elasticsearch yet"),
        ("bazaar_search_parked_documents", Unit::Count, "Documents Elasticsearch refused, not re-driven yet"),
        ("bazaar_search_indexer_failed", Unit::Count, "1 when the indexer's live generation failed"),
        ("bazaar_relay_lag_seconds", Unit::Seconds, "Age of the oldest event the Kafka relay has not delivered"),
        ("bazaar_scheduler_due_timers", Unit::Count, "Timers due and not run yet"),
    ];
    for (name, unit, help) in gauges {
        describe_gauge!(name, unit, help);
    }
}
